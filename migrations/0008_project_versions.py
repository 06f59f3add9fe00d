"""The write path (docs/design.md): every project row carries a ``version`` that each
write increments (an edit form sends it back; a stale one is refused), and a
``dedupe_key``, the look-alike-proof key of (name, investor), unique per task force. It
replaces the exact (task_force, name, investor) unique index. Audit rows record where
a change came from (``origin``: the client address, ``cli`` or ``scheduler``).

Existing projects get their key from tracker.domain.text.duplicate_key; a project whose
key an older one of its task force already holds (look-alike twins entered before this
migration) gets a key of its own derived from its id, so nothing is lost and the twins
stay visible for a person to merge or drop."""
import hashlib

from peewee import CharField, IntegerField, Model

from tracker.domain.text import duplicate_key


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('project', 'version', IntegerField(default=1)),
        migrator.add_column('project', 'dedupe_key', CharField(max_length=64, default='')),
        migrator.add_column('audit_log', 'origin', CharField(max_length=64, default='')),
    )

    class Project(Model):
        name = CharField()
        investor = CharField()
        task_force_id = IntegerField()
        dedupe_key = CharField()

        class Meta:
            database = db
            table_name = 'project'

    seen, last = set(), 0
    while True:
        batch = list(Project.select(Project.id, Project.task_force_id, Project.name,
                                    Project.investor)
                     .where(Project.id > last).order_by(Project.id).limit(500).tuples())
        if not batch:
            break
        for row_id, team, name, investor in batch:
            key = duplicate_key(name, investor)
            if (team, key) in seen:
                key = hashlib.sha256(f"{key}#{row_id}".encode()).hexdigest()
            seen.add((team, key))
            Project.update(dedupe_key=key).where(Project.id == row_id).execute()
        last = batch[-1][0]

    migrator.migrate(
        migrator.add_index('project', ('task_force_id', 'dedupe_key'), True,
                           name='project_task_force_id_dedupe_key'),
        migrator.drop_index('project', 'project_task_force_id_name_investor'),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.add_index('project', ('task_force_id', 'name', 'investor'), True,
                           name='project_task_force_id_name_investor'),
        migrator.drop_index('project', 'project_task_force_id_dedupe_key'),
        migrator.drop_column('audit_log', 'origin'),
        migrator.drop_column('project', 'dedupe_key'),
        migrator.drop_column('project', 'version'),
    )
