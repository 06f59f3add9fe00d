"""Ledger paging (services.ledger.listing.ledger_page): keyset cursors give the same pages as page
numbers for every sort and direction, ties included, forwards and backwards; a bad cursor
falls back to the page number; cached totals follow every write."""
import datetime

import pytest

from tests.factories import make_county, make_project, make_user
from tracker.models import Project
from tracker.services.ledger import listing
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects

service = backfill_ledger(ledger_projects)

PER_PAGE = 4
SORTS = ("updated", "name", "planned", "contract", "stage")


@pytest.fixture
def boss(db):
    return make_user("boss", role="bureau")


@pytest.fixture
def ledger_rows(team, boss):
    """15 projects with many ties on every sort key."""
    county = make_county("C1")
    stages = ("reserve", "negotiating", "signed", "reserve", "packaged")
    made = []
    for n in range(15):
        stage = stages[n % len(stages)]
        extra = {"contract_value": str(100 * (n % 2) + 50), "signing_grade": "contract"} \
            if stage == "signed" else {}
        made.append(make_project(team, name=f"项目{n % 4}", investor=f"投资方{n}", user=boss,
                                 stage=stage,
                                 planned_investment=str(1000 + 250 * (n % 3)),
                                 county=county if n % 2 else None, **extra))
    stamp = datetime.datetime(2026, 5, 1, 2, 0, 0, 123000)
    for n, row in enumerate(made):   # three groups of equal updated_at
        Project.update(updated_at=stamp + datetime.timedelta(hours=n % 3)).where(
            Project.id == row.id).execute()
    return made


def _ids(page):
    return [p.id for p in page.rows]


def _by_number(filters, total_pages):
    return [_ids(listing.ledger_page(filters, n, PER_PAGE)[0]) for n in range(1, total_pages + 1)]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("direction", ("asc", "desc"))
def test_cursors_walk_the_same_pages_as_numbers(ledger_rows, sort, direction):
    filters = {"sort": sort, "dir": direction}
    first, summary = listing.ledger_page(filters, 1, PER_PAGE)
    assert summary["count"] == 15 and first.pages == 4
    expected = _by_number(filters, first.pages)
    assert sorted(i for page in expected for i in page) == sorted(p.id for p in ledger_rows)
    assert [i for page in expected for i in page] == [p.id for p in listing.filtered(filters)]

    forward, page = [_ids(first)], first
    while page.next_cursor:
        page, _ = listing.ledger_page(filters, page.page + 1, PER_PAGE,
                                     cursor=("after", page.next_cursor))
        forward.append(_ids(page))
    assert forward == expected and page.page == first.pages

    backward = [_ids(page)]
    while page.prev_cursor and page.page > 1:
        page, _ = listing.ledger_page(filters, page.page - 1, PER_PAGE,
                                     cursor=("before", page.prev_cursor))
        backward.append(_ids(page))
    assert backward[::-1] == expected


def test_cursor_with_a_filter_and_names_on_the_rows(ledger_rows, team):
    filters = {"tf": team.id, "stage": "reserve", "sort": "planned", "dir": "desc"}
    first, summary = listing.ledger_page(filters, 1, 2)
    second, _ = listing.ledger_page(filters, 2, 2, cursor=("after", first.next_cursor))
    assert summary["count"] == 6
    assert _ids(second) == [p.id for p in listing.filtered(filters)][2:4]
    assert all(p.task_force.name == team.name for p in first.rows + second.rows)
    assert {p.county.name for p in second.rows if p.county_id} <= {"C1区"}


@pytest.mark.parametrize("token", ["garbage", "x.1", "5.notadate", "5.NaN", "", "9" * 30])
def test_bad_cursor_falls_back_to_the_page_number(ledger_rows, token):
    for sort in SORTS:
        filters = {"sort": sort, "dir": "desc"}
        page, _ = listing.ledger_page(filters, 2, PER_PAGE, cursor=("after", token))
        assert page.page == 2
        if sort != "name":   # any text is a name: a valid (odd) place to seek from
            assert _ids(page) == _ids(listing.ledger_page(filters, 2, PER_PAGE)[0])


def test_cursor_past_the_end_and_page_beyond_the_last(ledger_rows):
    filters = {"sort": "updated", "dir": "desc"}
    last, _ = listing.ledger_page(filters, 99, PER_PAGE)
    assert last.page == 4 and len(last.rows) == 3 and last.next_cursor is None
    token = f"{last.rows[-1].id}.{last.rows[-1].updated_at.isoformat()}"
    after_end, _ = listing.ledger_page(filters, 5, PER_PAGE, cursor=("after", token))
    assert after_end.page == 4 and _ids(after_end) == _ids(last)
    first, _ = listing.ledger_page(filters, 1, PER_PAGE)
    token = f"{first.rows[1].id}.{first.rows[1].updated_at.isoformat()}"
    start, _ = listing.ledger_page(filters, 3, PER_PAGE, cursor=("before", token))
    assert start.page == 1 and _ids(start) == _ids(first)


def test_cached_totals_follow_writes(ledger_rows, team, boss):
    for filters in ({}, {"tf": team.id}):
        before = listing.ledger_page(filters, 1, PER_PAGE)[1]
        assert listing.ledger_page(filters, 1, PER_PAGE)[1] == before     # cached
        row = service.get_project(ledger_rows[0].id)
        service.update_project(boss, row.id, version=row.version,
                               planned_investment=str(row.planned_investment + 7),
                               change_kind="correction", change_reason="录入错误")
        after = listing.ledger_page(filters, 1, PER_PAGE)[1]
        assert after["planned"] == before["planned"] + 7
        make_project(team, name=f"新项目{len(filters)}", user=boss, planned_investment="5")
        assert listing.ledger_page(filters, 1, PER_PAGE)[1]["count"] == before["count"] + 1
    assert listing.totals(listing.filtered({})) == listing.ledger_page({}, 1, PER_PAGE)[1]
