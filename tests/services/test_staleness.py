"""Daily staleness scan on every backend: levels, escalation, clearing, listing."""
import datetime


from tests.factories import make_project, make_task_force, make_user
from tracker.domain import pipeline
from tracker.domain.text import duplicate_key
from tracker.domain.staleness import Thresholds
from tracker.models import Project, StaleFlag
from tests.backfill import ledger as backfill_ledger
from tracker.services.ledger import projects as ledger_projects
from tracker.services.staleness import flags

projects = backfill_ledger(ledger_projects)

AS_OF = datetime.date(2026, 9, 30)


def ago(days, as_of=AS_OF):
    return as_of - datetime.timedelta(days=days)


def open_levels():
    return {f.project_id: f.level for f in StaleFlag.select().where(StaleFlag.cleared_on.is_null())}


def test_levels_at_the_boundaries(team):
    made = {days: make_project(team, f"项目{days}", on=ago(days))
            for days in (59, 60, 89, 90, 179, 180)}
    result = flags.scan(AS_OF)
    levels = open_levels()
    assert made[59].id not in levels
    assert levels[made[60].id] == "yellow"
    assert levels[made[89].id] == "yellow"
    assert levels[made[90].id] == "red"
    assert levels[made[179].id] == "red"
    assert levels[made[180].id] == "propose_drop"
    assert result.raised == {"yellow": 2, "red": 2, "propose_drop": 1}
    assert result.open == {"yellow": 2, "red": 2, "propose_drop": 1}
    flag = StaleFlag.get(StaleFlag.project == made[89].id)
    assert flag.last_progress_on == ago(89)
    assert flag.since == ago(89) + datetime.timedelta(days=60)
    assert flag.raised_on == AS_OF


def test_scan_twice_changes_nothing(team):
    make_project(team, "甲", on=ago(100))
    make_project(team, "乙", on=ago(61))
    flags.scan(AS_OF)
    before = [(f.id, f.level, f.cleared_on) for f in StaleFlag.select().order_by(StaleFlag.id)]
    again = flags.scan(AS_OF)
    after = [(f.id, f.level, f.cleared_on) for f in StaleFlag.select().order_by(StaleFlag.id)]
    assert before == after and len(after) == 2
    assert again.raised == {"yellow": 0, "red": 0, "propose_drop": 0} and again.cleared == 0


def test_escalation_then_progress_clears(team):
    start = datetime.date(2026, 1, 5)
    project = make_project(team, "甲", on=start)
    flags.scan(start + datetime.timedelta(days=60))
    assert open_levels() == {project.id: "yellow"}

    flags.scan(start + datetime.timedelta(days=90))
    assert open_levels() == {project.id: "red"}
    yellow = StaleFlag.get((StaleFlag.project == project.id) & (StaleFlag.level == "yellow"))
    assert yellow.cleared_on == start + datetime.timedelta(days=90)
    assert yellow.cleared_reason == "escalated"

    progress_day = start + datetime.timedelta(days=95)
    projects.change_stage(None, project, pipeline.PACKAGED, on=progress_day)
    flags.scan(start + datetime.timedelta(days=100))
    assert open_levels() == {}
    red = StaleFlag.get((StaleFlag.project == project.id) & (StaleFlag.level == "red"))
    assert red.cleared_reason == "progress"

    # a new silence starts from the new progress date
    flags.scan(progress_day + datetime.timedelta(days=60))
    flag = StaleFlag.get(StaleFlag.cleared_on.is_null())
    assert (flag.level, flag.last_progress_on) == ("yellow", progress_day)


def test_rescan_of_an_earlier_date_reopens_the_same_flag(team):
    start = datetime.date(2026, 1, 5)
    project = make_project(team, "甲", on=start)
    quiet = make_project(team, "乙", on=start + datetime.timedelta(days=20))
    flags.scan(start + datetime.timedelta(days=60))
    yellow = StaleFlag.get((StaleFlag.project == project.id) & (StaleFlag.level == "yellow"))
    flags.scan(start + datetime.timedelta(days=90))
    assert open_levels() == {project.id: "red", quiet.id: "yellow"}
    # catching up an earlier day: the same yellow flag comes back, no second row
    result = flags.scan(start + datetime.timedelta(days=85))
    assert open_levels() == {project.id: "yellow", quiet.id: "yellow"}
    assert StaleFlag.get(StaleFlag.cleared_on.is_null() & (StaleFlag.project == project.id)).id \
        == yellow.id
    assert StaleFlag.select().where(StaleFlag.project == project.id).count() == 2
    assert result.raised == {"yellow": 1, "red": 0, "propose_drop": 0} and result.cleared == 1
    red = StaleFlag.get((StaleFlag.project == project.id) & (StaleFlag.level == "red"))
    assert red.cleared_reason == "escalated"


def test_many_projects_in_one_scan(team):
    # more projects than one statement's chunk: raise, then clear all as closed
    rows = [dict(task_force=team.id, name=f"项目{i}", investor="", stage=pipeline.RESERVE,
                 dedupe_key=duplicate_key(f"项目{i}", ""), last_progress_on=ago(70 + i % 150))
            for i in range(flags.CHUNK + 20)]
    Project.insert_many(rows).execute()
    result = flags.scan(AS_OF)
    assert sum(result.raised.values()) == flags.CHUNK + 20
    assert result.open == {level: n for level, n in result.raised.items()}
    assert StaleFlag.select().count() == flags.CHUNK + 20
    Project.update(stage=pipeline.PRODUCING).execute()
    result = flags.scan(AS_OF)
    assert result.cleared == flags.CHUNK + 20 and sum(result.open.values()) == 0
    assert {f.cleared_reason for f in StaleFlag.select()} == {"closed"}


def test_landed_and_dropped_projects_are_not_chased(team):
    old = ago(200)
    producing = make_project(team, "已投产", on=old, stage=pipeline.PRODUCING, contract_value="500")
    dropped = make_project(team, "退库", on=old)
    projects.change_stage(None, dropped, pipeline.DROPPED, on=old, reason="投资方撤资")
    watched = make_project(team, "在谈", on=old, stage=pipeline.NEGOTIATING)
    flags.scan(AS_OF)
    assert open_levels() == {watched.id: "propose_drop"}
    assert producing.id and dropped.id

    # a flagged project that lands is cleared as "closed"
    Project.update(stage=pipeline.PRODUCING).where(Project.id == watched.id).execute()
    flags.scan(AS_OF)
    assert open_levels() == {}
    assert StaleFlag.get(StaleFlag.project == watched.id).cleared_reason == "closed"


def test_never_progressed_counts_from_creation(team):
    project = make_project(team, "甲", on=ago(10))
    created = datetime.datetime(2026, 6, 1, 2, 0)  # UTC = 10:00 Shanghai, 1 June
    Project.update(last_progress_on=None, created_at=created).where(
        Project.id == project.id).execute()
    flags.scan(datetime.date(2026, 7, 30))  # 59 days
    assert open_levels() == {}
    flags.scan(datetime.date(2026, 7, 31))  # 60 days
    flag = StaleFlag.get(StaleFlag.project == project.id)
    assert (flag.level, flag.last_progress_on) == ("yellow", datetime.date(2026, 6, 1))


def test_open_flags_list_owners_most_severe_first(team):
    other = make_task_force("TF2")
    owner = make_user("wang", "member", task_forces=[team], display_name="王工",
                      email="wang@example.test")
    a = make_project(team, "甲", on=ago(65), owner=owner.id)
    b = make_project(team, "乙", on=ago(120))
    c = make_project(other, "丙", on=ago(200))
    flags.scan(AS_OF)

    rows = flags.open_flags(as_of=AS_OF)
    assert [r.project_id for r in rows] == [c.id, b.id, a.id]
    first = rows[-1]
    assert (first.project_name, first.task_force_code, first.owner_name, first.owner_email) == (
        "甲", "TF1", "王工", "wang@example.test")
    assert first.level == "yellow" and first.level_label == "60天未推进"
    assert first.days_silent == 65 and first.last_progress_on == ago(65)
    assert rows[1].owner_name == "" and rows[1].owner_id is None

    assert [r.project_id for r in flags.open_flags([team.id], as_of=AS_OF)] == [b.id, a.id]
    assert [r.project_id for r in flags.open_flags(levels=["red"], as_of=AS_OF)] == [b.id]


def test_progress_hides_a_flag_before_the_next_scan(team):
    a = make_project(team, "甲", on=ago(100))
    b = make_project(team, "乙", on=ago(100))
    flags.scan(AS_OF)
    assert {r.project_id for r in flags.open_flags(as_of=AS_OF)} == {a.id, b.id}
    projects.change_stage(None, a, pipeline.PACKAGED, on=AS_OF)
    assert [r.project_id for r in flags.open_flags(as_of=AS_OF)] == [b.id]
    assert open_levels() == {b.id: "red"}  # the progress cleared the flag of its silence
    flags.scan(AS_OF)
    assert open_levels() == {b.id: "red"}


def test_dropping_clears_its_flags_at_once_and_the_counts_agree(team):
    a = make_project(team, "甲", on=ago(100))
    b = make_project(team, "乙", on=ago(100))
    flags.scan(AS_OF)
    # dated on its last progress: no progress, but a dropped project is not chased
    projects.change_stage(None, a, pipeline.DROPPED, on=ago(100), reason="投资方撤回")
    assert open_levels() == {b.id: "red"}
    assert flags.open_counts()["red"] == 1
    assert flags.open_counts() == flags.open_counts([team.id])
    assert [r.project_id for r in flags.open_flags(as_of=AS_OF)] == [b.id]


def test_open_flags_pages_across_levels(team):
    made = {days: make_project(team, f"项目{days}", on=ago(days)) for days in (61, 62, 91, 92, 181)}
    flags.scan(AS_OF)
    everything = [r.project_id for r in flags.open_flags(as_of=AS_OF)]
    assert everything == [made[d].id for d in (181, 92, 91, 62, 61)]
    pages = [[r.project_id for r in flags.open_flags(as_of=AS_OF, limit=2, offset=o)]
             for o in (0, 2, 4)]
    assert pages == [everything[0:2], everything[2:4], everything[4:]]
    counts = flags.open_counts()
    assert [r.project_id for r in flags.open_flags(
        as_of=AS_OF, limit=2, offset=1, counts=counts)] == everything[1:3]


def test_thresholds_from_config(sqlite_url, tmp_path):
    from tests.conftest import clean_tables, make_app
    app = make_app(sqlite_url, tmp_path / "inst", STALE_DAYS=(30, 45, 100))
    with app.app_context():
        try:
            p = make_project(make_task_force("TF9"), "甲", on=ago(45))
            options = flags.options_from(app.config)
            assert options.thresholds == Thresholds(30, 45, 100)
            flags.scan(AS_OF, options)
            assert open_levels() == {p.id: "red"}
        finally:
            clean_tables()


def test_options_from_config():
    from zoneinfo import ZoneInfo
    opts = flags.options_from({"STALE_DAYS": {"yellow": 30, "red": 45, "propose_drop": 100},
                                   "TIMEZONE": "UTC"})
    assert opts.thresholds == Thresholds(30, 45, 100) and opts.zone == ZoneInfo("UTC")
    assert flags.options_from({}) == flags.StaleOptions()
    assert flags.thresholds({"STALE_DAYS": None}) == Thresholds()


def test_scan_with_given_options(team):
    p = make_project(team, "甲", on=ago(45))
    flags.scan(AS_OF, flags.options_from({"STALE_DAYS": (30, 45, 100)}))
    assert open_levels() == {p.id: "red"}


def test_creation_day_is_taken_in_the_configured_zone(team):
    # created 20:00 UTC on 1 Aug = 2 Aug in Shanghai; never progressed
    pid = Project.insert(task_force=team.id, name="甲", investor="", stage=pipeline.RESERVE,
                         dedupe_key=duplicate_key("甲", ""), last_progress_on=None,
                         created_at=datetime.datetime(2026, 8, 1, 20, 0)).execute()
    as_of = datetime.date(2026, 9, 30)   # 60 days after 1 Aug, 59 after 2 Aug
    flags.scan(as_of, flags.options_from({"TIMEZONE": "Asia/Shanghai"}))
    assert open_levels() == {}
    flags.scan(as_of, flags.options_from({"TIMEZONE": "UTC"}))
    assert open_levels() == {pid: "yellow"}
