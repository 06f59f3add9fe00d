"""Maintained pipeline figures (issue "City and province scale"): the forecast's open
pipeline is kept in ``monthly_figure`` too (metrics ``pl_*``, tracker/domain/figures.py),
by task force and expected signing date, so a report no longer aggregates the open
projects. No schema change: the rows are filled from the ledger
(tracker/services/figures.rebuild; rows already right are left as they are)."""


def up(migrator, db):
    from tracker.services.figures import monthly
    with db.atomic():
        monthly.rebuild()


def down(migrator, db):
    from tracker.domain.figures import PIPELINE
    from tracker.models import MonthlyFigure
    MonthlyFigure.delete().where(MonthlyFigure.metric.in_(list(PIPELINE))).execute()
