"""services.compiled: a query built once runs with new values and gives what the plain
peewee query gives (models, joins, conversions), on every backend; the ledger's compiled
pages equal the plain ones."""
import pytest

from tests.factories import make_county, make_project, make_task_force, make_user
from tracker import clock
from tracker.models import Project, TaskForce, User, UserSession
from tracker.services.ledger import listing
from tracker.services.ledger import choices as ledger_choices
from tracker.services.accounts import sessions
from tracker.services.compiled import Compiled, CompiledFamily


def test_runs_again_with_other_values_and_converts_like_peewee(db):
    alice, bob = make_user("alice"), make_user("bob", role="bureau")
    for user in (alice, bob):
        sessions.start(user)
    lookup = Compiled(lambda user_id, role: (
        UserSession.select(UserSession.id, UserSession.created_at, User).join(User)
        .where((UserSession.user == user_id) & (User.role == role)).limit(1)), arity=2)
    for user in (alice, bob):
        plain = (UserSession.select(UserSession.id, UserSession.created_at, User).join(User)
                 .where((UserSession.user == user.id) & (User.role == user.role)).first())
        row = lookup.first(user.id, user.role)
        assert row.id == plain.id and row.created_at == plain.created_at
        assert row.user.__data__ == plain.user.__data__ and not row.user._dirty
    assert lookup.first(alice.id, "bureau") is None
    with pytest.raises(TypeError):
        lookup.run(alice.id)


def test_a_family_keys_lists_by_length(db):
    teams = [make_task_force(f"T{n}") for n in range(3)]
    by_ids = CompiledFamily(lambda n, *ids: TaskForce.select(TaskForce.code)
                            .where(TaskForce.id.in_(list(ids))).order_by(TaskForce.code)
                            .tuples(), lambda n: n)
    assert by_ids[1].run(teams[2].id) == [("T2",)]
    assert by_ids[2].run(teams[0].id, teams[2].id) == [("T0",), ("T2",)]
    assert by_ids[2].run(teams[1].id, 0) == [("T1",)]


def test_every_mark_must_reach_the_sql(db):
    unused = Compiled(lambda a, b: TaskForce.select().where(TaskForce.id == a), arity=2)
    with pytest.raises(ValueError):
        unused.run(1, 2)


@pytest.mark.parametrize("filters", [
    {}, {"sort": "name", "dir": "asc"}, {"stage": "signed"}, {"county": "C"},
    {"tf": "T", "sort": "contract"}, {"teams": set(), "sort": "progress"},
    {"teams": {"T"}, "owner": "U", "sort": "stage", "dir": "asc"}, {"year": "Y"},
])
def test_compiled_ledger_pages_equal_the_plain_ones(db, filters):
    team, other, county = make_task_force("T1"), make_task_force("T2"), make_county("C1")
    owner = make_user("owner")
    for n in range(7):
        make_project(team if n % 2 else other, name=f"项目{n}", investor=f"投资方{n}",
                     county=county if n % 3 else None, owner=owner if n % 2 else None,
                     stage="signed" if n % 3 == 0 else "reserve",
                     **({"contract_value": str(10 * n + 5), "signing_grade": "contract"}
                        if n % 3 == 0 else {}))
    values = {"T": team.id, "C": county.id, "U": owner.id, "Y": clock.today().year}
    filters = {k: ({values[i] for i in v} if k == "teams" else values.get(v, v))
               for k, v in filters.items()}
    assert listing._shape(filters) is not None   # the compiled path
    page, summary = listing.ledger_page(filters, 1, 5)
    expected = list(listing.filtered(filters))
    assert [p.id for p in page.rows] == [p.id for p in expected][:5]
    assert summary == listing.totals(listing._where(Project.select(), filters, join_year=True))
    assert summary["count"] == len(expected)
    for row, plain in zip(page.rows, expected):
        assert (row.planned_investment, row.contract_value, row.updated_at, row.tags) == \
            (plain.planned_investment, plain.contract_value, plain.updated_at, plain.tags)


def test_filter_choices_equal_the_two_lists(db):
    for code in ("T2", "T10", "A1"):
        make_task_force(code, name=f"专班{code}")
    for code in ("C9", "C10"):
        make_county(code)
    teams, counties = ledger_choices.filter_choices()
    assert teams == [(t.id, t.code, t.name, True) for t in ledger_choices.task_forces()]
    assert counties == [(c.id, c.code, c.name, True) for c in ledger_choices.counties()]
    assert [t.code for t in teams] == sorted(t.code for t in teams) and len(counties) == 2


def test_can_create_from_the_loaded_choices_equals_the_query(db):
    active, inactive = make_task_force("A1"), make_task_force("B1", active=False)
    users = [make_user("boss", role="bureau"), make_user("in", task_forces=[active]),
             make_user("out", task_forces=[inactive]), make_user("none")]
    teams, _counties = ledger_choices.filter_choices()
    for user in users:
        member_of = ledger_choices.member_task_force_ids(user.id)
        assert ledger_choices.can_create(user, teams, member_of) == ledger_choices.can_create(user)
    assert [ledger_choices.can_create(u) for u in users] == [True, True, False, False]
