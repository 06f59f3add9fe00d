"""Maintained years of each project (``project_year``, UNIQUE (year, project_id)) for the
ledger's 年度 filter, filled from the ledger (tracker/services/project_years.rebuild).

Frozen copy of the models as of this migration."""
from peewee import *


def up(migrator, db):
    class Project(Model):
        class Meta:
            database = db
            table_name = 'project'

    class ProjectYear(Model):
        project = ForeignKeyField(Project, on_delete='CASCADE', backref='+')
        year = IntegerField()

        class Meta:
            database = db
            table_name = 'project_year'
            indexes = ((('year', 'project'), True),)

    db.create_tables([ProjectYear])
    from tracker.services.figures import years
    with db.atomic():
        years.rebuild()


def down(migrator, db):
    migrator.migrate(migrator.drop_table('project_year'))
