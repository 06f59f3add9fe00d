"""The maintained ``project_year`` rows (tracker/services/figures/years.py) against
``services.ledger.listing.year_condition`` after seeded random writes through the services
(create, stage moves, funds, 增资, 作废, amount changes, moves), on every backend; the
creation-instant boundary; the bulk import; drift repaired by the nightly recompute."""
import datetime

import pytest

from tests.services.test_figures import World, run
from tracker import clock
from tracker.domain import pipeline
from tracker.models import Project, ProjectYear
from tracker.services.ledger import listing
from tracker.services.figures import years as project_years, recompute
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects

S = backfill_ledger(ledger_projects)


def _years(today):
    return range(today.year - 3, today.year + 2)


def assert_rows_match_condition(today):
    stored = project_years.stored()
    assert {y for _p, y in stored} <= set(_years(today))
    for year in _years(today):
        want = {pid for (pid,) in Project.select(Project.id)
                .where(listing.year_condition(year)).tuples()}
        assert {pid for pid, y in stored if y == year} == want, year
        page, summary = listing.ledger_page({"year": year}, 1, 1000)
        assert summary["count"] == len(want) and {r.id for r in page.rows} == want
    assert project_years.expected() == stored


@pytest.mark.parametrize("seed", [2026, 7])
def test_random_writes_keep_the_years_equal_to_the_condition(db, seed):
    world = World(seed)
    assert run(world, 80) > 40
    assert_rows_match_condition(world.today)


def test_a_project_created_at_the_new_year_instant_counts_for_both_years(db):
    world = World(5)
    year = world.today.year
    p = S.create_project(world.user, task_force=world.teams[0], name="跨年",
                         planned_investment="10", on=datetime.date(year - 1, 6, 1),
                         stage=pipeline.RESERVE)
    instant = clock.local_midnight_utc(datetime.date(year, 1, 1))
    for created, years in ((instant, {year - 1, year}),
                           (instant - datetime.timedelta(microseconds=1), {year - 1}),
                           (instant + datetime.timedelta(seconds=1), {year - 1, year})):
        Project.update(created_at=created).where(Project.id == p.id).execute()
        project_years.sync(p.id)
        assert {y for pid, y in project_years.stored() if pid == p.id} == years, created
        for y in (year - 1, year):
            assert Project.select().where(
                listing.year_condition(y) & (Project.id == p.id)).exists() == (y in years)


def test_the_nightly_recompute_repairs_drifted_rows(db):
    world = World(11)
    run(world, 30)
    first = ProjectYear.select().order_by(ProjectYear.id).first()
    ProjectYear.delete().where(ProjectYear.id == first.id).execute()
    ProjectYear.create(project=first.project_id, year=1999)
    assert project_years.stored() != project_years.expected()
    result = recompute.recompute(clock.today())
    assert result.project_years[0] == len(project_years.expected())
    assert_rows_match_condition(world.today)


def test_the_bulk_import_writes_the_years_of_its_projects(db):
    from tests.factories import make_county, make_task_force, make_user
    from tests.services import test_import as I
    from tracker.services.imports import commit as import_commit, uploads
    team = make_task_force("TF1")
    make_county("C1", "新抚区")
    admin = make_user("admin", role="admin")
    make_user("member", role="member", task_forces=[team])
    header = [t for t in I.TITLES if t != "所属专班"]
    result = uploads.preview_bytes(admin, I.book_bytes(I._mixed_rows(), header=header),
                                   "t.xlsx", I.LIMIT, task_force="TF1")
    assert {r.status for r in result.rows} == {"new"}, result.errors
    import_commit.commit(admin, result)
    assert Project.select().count() == len(result.rows)
    assert_rows_match_condition(clock.today())
