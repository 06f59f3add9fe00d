"""Ledger indexes (benchmark on 100,000 projects): project.updated_at, the default
sort of the ledger, and stage_event.occurred_on, the ledger's year filter. Index
names are the ones peewee generates for ``index=True``."""


def up(migrator, db):
    migrator.migrate(
        migrator.add_index('project', ('updated_at',), False, name='project_updated_at'),
        migrator.add_index('stage_event', ('occurred_on',), False,
                           name='stage_event_occurred_on'),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('stage_event', 'stage_event_occurred_on'),
        migrator.drop_index('project', 'project_updated_at'),
    )
