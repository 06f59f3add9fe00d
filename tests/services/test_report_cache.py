"""Reports computed once per change (issue 23): after any sequence of writes of every kind the
cached progress report equals a fresh computation, on every backend (the ``db`` fixture),
in this process and in another one with its own connection (tests/services/
report_cache_worker.py); the data version moves with each kind of write, last in its
transaction, and never with a rolled-back one."""
import datetime
import json
import os
import random
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import clean_tables
from tests.factories import make_county, make_task_force, make_user
from tests.services.test_import import book_bytes, row
from tracker import clock
from tracker.db import database
from tracker.domain.errors import NotFound, ValidationError
from tracker.models import CapitalIncrease, FundReceipt, ImportBatch, MonthlyFigure, Project
from tracker.services import dataversion, maintenance, tx
from tracker.services.figures import monthly
from tracker.services.imports import commit as import_commit
from tracker.services.imports import undo, uploads
from tracker.services.ledger import corrections
from tracker.services.ledger import listing
from tracker.services.ledger import projects as P
from tracker.services import memo as cache
from tracker.services.progress import snapshots
from tracker.services.progress import report as PR
from tracker.services.progress.options import ProgressOptions, options_from
from tracker.services.targets import annual as T
from tracker.services.targets import counties as CT
from tracker.services.targets import shares as S
from tracker.services.taskforces import teams
from tracker.services.accounts import users as accounts
from tracker.services.staleness import flags as stale
from tracker.services.bulletin import notes as bulletin_notes
from tracker.services.bulletin import report as bulletin
from tracker.services.supervision import items as supervision
from tracker.models import SupervisionItem

D = datetime.date
TODAY = D(2026, 12, 20)
WHY = "补录"   # closed-quarter writes by the bureau: a reason, written directly
VIEWS = ((2026, TODAY), (2026, D(2026, 6, 30)), (2026, D(2026, 3, 17)), (2025, D(2025, 12, 31)))
OTHER_OPTIONS = options_from({"PROGRESS_PRECISION": "day", "RANKING_CAP_PCT": 120})


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda tz=None: TODAY)
    cache.clear()
    yield
    cache.clear()


def _world():
    user = make_user("bureau", role="bureau")
    make_user("root", role="admin")     # user edits keep one active admin
    tfs = [make_task_force(f"TF{i}") for i in (1, 2, 3)]
    counties = [make_county("C1"), make_county("C2")]
    return {"user": user, "tfs": tfs, "counties": counties}


def _day(rng):
    return D(2025, 1, 1) + datetime.timedelta(days=rng.randrange((TODAY - D(2025, 1, 1)).days))


def _project(rng):
    ids = [p for (p,) in Project.select(Project.id).tuples()]
    return rng.choice(ids) if ids else None


def _create(w, rng):
    stage = rng.choice(["reserve", "packaged", "negotiating", "signed"])
    extra = {"contract_value": str(rng.randrange(100, 9000))} if stage == "signed" else {}
    if rng.random() < 0.5:
        extra["expected_sign_date"] = D(2026, 12, 31) - datetime.timedelta(days=rng.randrange(60))
    P.create_project(w["user"], task_force=rng.choice(w["tfs"]), name=f"项目{rng.random():.9f}",
                     planned_investment=str(rng.randrange(100, 90000)), on=_day(rng),
                     stage=stage, county=rng.choice(w["counties"]), closed_reason=WHY, **extra)


def _stage(w, rng):
    pid = _project(rng)
    row = Project.get_by_id(pid)
    after = max(row.last_progress_on or D(2025, 1, 1), D(2025, 1, 1))
    on = after + datetime.timedelta(days=rng.randrange(max(1, (TODAY - after).days + 1)))
    stage = rng.choice(["packaged", "negotiating", "signed", "started", "dropped"])
    P.change_stage(w["user"], pid, stage, on=min(on, TODAY), contract_value="1234",
                   reason="原因", expected_stage=row.stage, closed_reason=WHY)


def _funds(w, rng):
    P.record_funds(w["user"], _project(rng), received_on=_day(rng),
                   amount=str(rng.randrange(1, 5000)), closed_reason=WHY)


def _increase(w, rng):
    signed = [p for (p,) in Project.select(Project.id).where(Project.signed_on.is_null(False))
              .tuples()]
    if signed:
        pid = rng.choice(signed)
        on = max(Project.get_by_id(pid).signed_on, _day(rng))
        P.add_capital_increase(w["user"], pid, on=on, amount=str(rng.randrange(1, 900)),
                               closed_reason=WHY)


def _update(w, rng):
    row = Project.get_by_id(_project(rng))
    choice = rng.randrange(3)
    if choice == 0:
        P.update_project(w["user"], row.id, version=row.version,
                         planned_investment=str(rng.randrange(100, 90000)),
                         change_kind=rng.choice(["correction", "change"]), change_on=_day(rng),
                         change_reason="核实", closed_reason=WHY)
    else:
        field = {1: ("task_force", rng.choice(w["tfs"]).id),
                 2: ("county", rng.choice(w["counties"]).id)}[choice]
        P.update_project(w["user"], row.id, version=row.version, closed_reason=WHY,
                         **{field[0]: field[1]})


def _void(w, rng):
    found = [("funds", r.project_id, r.id) for r in FundReceipt.select().where(
        FundReceipt.counted())] + [("increase", r.project_id, r.id) for r in
                                   CapitalIncrease.select().where(CapitalIncrease.counted())]
    if found:
        kind, pid, item = rng.choice(found)
        corrections.void(w["user"], pid, kind, item, "录错")


def _target(w, rng):
    metric = rng.choice(["packaged_value", "negotiations", "signed_value"])
    value = str(rng.randrange(1, 30)) if metric == "negotiations" else str(rng.randrange(1, 10**6))
    T.set_target(w["user"], rng.choice(w["tfs"]), rng.choice([2025, 2026]), metric, value, "调整")


def _county_target(w, rng):
    CT.set_county_target(w["user"], rng.choice(w["counties"]), 2026,
                         base=rng.choice([None, str(rng.randrange(1, 9000))]),
                         growth_pct=str(rng.randrange(5, 40)), reason="调整")


def _shares(w, rng):
    q1 = rng.randrange(5, 40)
    S.set_shares(w["user"], 2026, rng.choice(["packaged_value", "signed_value"]),
                 [q1, q1 + 20, q1 + 45, 100])


def _team(w, rng):
    team = rng.choice(w["tfs"])
    fresh = teams.get_task_force(team.code)
    if rng.random() < 0.5:
        teams.save_task_force(w["user"], {"name": f"{team.code}专班{rng.randrange(1000)}"},
                              fresh.id)
    else:
        teams.save_task_force(w["user"], {"active": not fresh.active}, fresh.id)


def _import(w, rng):
    rows = [row(项目名称=f"导入{rng.random():.9f}", 所属专班=rng.choice(w["tfs"]).code,
                当前阶段="签约", 签约额=str(rng.randrange(1, 900)), 策划包装日期=TODAY,
                洽谈日期=TODAY, 签约日期=TODAY)]
    result = uploads.preview_bytes(w["user"], book_bytes(rows), "台账.xlsx", 10 * 1024 * 1024)
    import_commit.commit(w["user"], result, acknowledged=True)


def _undo(w, rng):
    batch = ImportBatch.select().where(ImportBatch.undone_at.is_null()) \
        .order_by(ImportBatch.id.desc()).first()
    if batch is None:
        _import(w, rng)
        batch = ImportBatch.select().order_by(ImportBatch.id.desc()).first()
    undo.undo(w["user"], batch.id, "导错了")


def _freeze(w, rng):
    snapshots.freeze_quarter(2026, rng.randrange(1, 4))


def _recompute(w, rng):
    """A figure drifted behind the write path's back (no version move), then repaired."""
    drifted = MonthlyFigure.select().order_by(MonthlyFigure.id).first()
    if drifted is not None:
        MonthlyFigure.update(cents=MonthlyFigure.cents + 100 * rng.randrange(1, 99)).where(
            MonthlyFigure.id == drifted.id).execute()
    if rng.random() < 0.5:
        maintenance.recompute_now(TODAY)
    else:
        monthly.rebuild_now()


def _scan(w, rng):
    """The nightly scan raises and clears stale flags (a later day: some silences grow)."""
    stale.scan(TODAY + datetime.timedelta(days=rng.choice([0, 30, 120, 200])))


def _rename(w, rng):
    """The owner's name is on the stale lists."""
    accounts.edit_user(None, w["user"].id, display_name=f"商务局{rng.randrange(1000)}")


def _note(w, rng):
    """The 通报's 下步要求 (it is remembered per version)."""
    current = bulletin_notes.note_for(2026, "year")
    bulletin_notes.save_note(w["user"], 2026, "year", requirements=f"要求{rng.randrange(1000)}",
                             remarks="", version=current.version if current else 0)


def _supervise(w, rng):
    """督办逾期 in the 通报: an item opened, closed or reopened."""
    found = SupervisionItem.select().order_by(SupervisionItem.id.desc()).first()
    if found is None or rng.random() < 0.4:
        supervision.open_item(w["user"], title=f"督办{rng.randrange(1000)}", problem="请协调。",
                              task_force=rng.choice(w["tfs"]).id, deadline=TODAY, priority="key")
    elif found.state == "closed":
        supervision.reopen(w["user"], found.id, "未办完")
    else:
        supervision.close(w["user"], found.id, "已办结")


WRITES = {f.__name__[1:]: f for f in (
    _create, _stage, _funds, _increase, _update, _void, _target, _county_target, _shares,
    _team, _import, _undo, _freeze, _recompute, _scan, _rename, _note, _supervise)}


def _ledger_filters(w):
    """Filter sets of the ledger whose totals are remembered (each a compiled shape)."""
    first = w["tfs"][0].id
    return ({}, {"tf": first}, {"year": 2026}, {"year": 2025, "stage": "signed"},
            {"teams": [t.id for t in w["tfs"][:2]]}, {"county": w["counties"][0].id})


def _totals(filters):
    return listing._summary(filters, listing._shape(filters))


def _stale_views(w):
    return (None, (w["tfs"][0].id,), tuple(t.id for t in w["tfs"][1:]))


def _fresh_stale(teams_, as_of):
    cache.enabled = False
    try:
        return stale.worst_flags(teams_, as_of=as_of)
    finally:
        cache.enabled = True


def _fresh_bulletin(as_of):
    cache.enabled = False
    try:
        return bulletin.build_bulletin(2026, "year", today=as_of)
    finally:
        cache.enabled = True


def _warm(w):
    bulletin.build_bulletin(2026, "year", today=TODAY + datetime.timedelta(days=5))
    for filters in _ledger_filters(w):
        _totals(filters)
    for teams_ in _stale_views(w):
        stale.worst_flags(teams_, as_of=TODAY)
    for year, as_of in VIEWS:
        PR.build_report(year, as_of)
        for team in w["tfs"]:
            PR.task_force_report(team.id, year, as_of)
    PR.build_report(2026, TODAY, OTHER_OPTIONS)


def _fresh_team(team_id, year, as_of):
    cache.enabled = False
    try:
        return PR.task_force_report(team_id, year, as_of)
    finally:
        cache.enabled = True


def _assert_cached_is_fresh(w, label):
    later = TODAY + datetime.timedelta(days=5)     # a 督办 item due today is overdue then
    assert bulletin.build_bulletin(2026, "year", today=later) == _fresh_bulletin(later), label
    for teams_ in _stale_views(w):
        assert stale.worst_flags(teams_, as_of=TODAY) == _fresh_stale(teams_, TODAY), (label, teams_)
    for filters in _ledger_filters(w):
        assert _totals(filters) == listing._totals(filters, listing._shape(filters)), (label, filters)
    for year, as_of in VIEWS:
        assert PR.build_report(year, as_of) == PR.fresh_report(year, as_of), (label, as_of)
        for team in w["tfs"]:
            assert PR.task_force_report(team.id, year, as_of) == \
                _fresh_team(team.id, year, as_of), (label, team.code, as_of)
    assert PR.build_report(2026, TODAY, OTHER_OPTIONS) == \
        PR.fresh_report(2026, TODAY, OTHER_OPTIONS), label


def _apply(w, kind, seed):
    try:
        WRITES[kind](w, random.Random(seed))
    except (ValidationError, NotFound):   # refused (nothing written): the check holds too
        pass


def _seeded_world():
    w = _world()
    rng = random.Random(0)
    for kind in ("create", "create", "create", "create", "funds", "target", "increase"):
        _apply(w, kind, rng.random())
    return w


@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.sampled_from(sorted(WRITES)), st.integers(0, 2**31)),
                      min_size=3, max_size=10))
def test_cached_report_equals_fresh_after_any_writes(db, steps):
    clean_tables()
    cache.clear()
    w = _seeded_world()
    for kind, seed in steps:
        _warm(w)
        _apply(w, kind, seed)
        _assert_cached_is_fresh(w, kind)
    _warm(w)
    hits = cache.stats.hits
    _assert_cached_is_fresh(w, "no write")
    assert cache.stats.hits > hits          # unchanged data: served from the cache


@pytest.mark.parametrize("kind", sorted(WRITES))
def test_every_kind_of_write_is_seen(db, kind):
    """Each kind of write, alone, after a warm cache (several seeds: some draw a no-op)."""
    w = _seeded_world()
    moved = 0
    for seed in range(4):
        _warm(w)
        before = dataversion.current()
        _apply(w, kind, seed)
        moved += dataversion.current() != before
        _assert_cached_is_fresh(w, f"{kind} {seed}")
    assert moved       # the writes were not all refused


def test_the_check_fails_without_the_version(db, monkeypatch):
    """The property can fail: a write that does not move the version leaves a stale report."""
    w = _seeded_world()
    _warm(w)
    monkeypatch.setattr(dataversion, "changed", lambda reset=False: None)
    P.record_funds(w["user"], Project.select().first().id, received_on=TODAY, amount="777")
    assert PR.build_report(2026, TODAY) != PR.fresh_report(2026, TODAY)


def test_the_version_moves_last_and_once_per_transaction(db):
    w = _seeded_world()
    before = dataversion.current()
    pid = Project.select().first().id
    with tx.write():
        P.record_funds(w["user"], pid, received_on=TODAY, amount="1")
        P.record_funds(w["user"], pid, received_on=TODAY, amount="2")
        assert dataversion.current() == before      # not yet: it runs just before the commit
    assert dataversion.current() == (before[0], before[1] + 1)


def test_tx_last_runs_once_at_the_outermost_commit(db):
    ran = []
    tx.last("now", lambda: ran.append("outside"))             # no transaction: at once
    assert ran == ["outside"]
    with tx.write():
        tx.last("k", lambda: ran.append("first"))
        with tx.write():                                      # a savepoint
            tx.last("k", lambda: ran.append("second"))       # same key: once
            tx.last("other", lambda: ran.append("other"))
        assert ran == ["outside"]
    assert ran == ["outside", "first", "other"]
    with pytest.raises(RuntimeError):
        with tx.write():
            tx.last("k", lambda: ran.append("rolled back"))
            raise RuntimeError
    assert ran[-1] == "other"


def test_a_rolled_back_write_leaves_no_report_behind(db):
    w = _seeded_world()
    pid = Project.select().first().id
    kept = PR.build_report(2026, TODAY)
    with pytest.raises(RuntimeError):
        with tx.write():
            P.record_funds(w["user"], pid, received_on=TODAY, amount="999")
            inside = PR.build_report(2026, TODAY)    # sees its own write: not cached
            assert inside != kept
            raise RuntimeError("rolled back")
    assert PR.build_report(2026, TODAY) == kept == PR.fresh_report(2026, TODAY)


def test_no_version_row_nothing_is_kept(db):
    _world()
    assert dataversion.current() is None
    PR.build_report(2026, TODAY)
    assert cache.stats.kept == 0


def test_jobs_with_nothing_to_do_leave_an_empty_database_empty(db):
    """restore needs an empty database: the nightly jobs create no version row there."""
    maintenance.recompute_now(TODAY)
    monthly.rebuild_now()
    snapshots.freeze_quarter(2026, 3)
    assert dataversion.current() is None


def test_a_repair_moves_the_version(db):
    _seeded_world()
    before = dataversion.current()
    Project.update(negotiating_on=None).where(Project.negotiating_on.is_null(False)).execute()
    maintenance.recompute_now(TODAY)
    assert dataversion.current()[1] == before[1] + 1


def test_restore_token_changes(db):
    w = _seeded_world()
    token, counter = dataversion.current()
    with tx.write():
        dataversion.changed(reset=True)
    new_token, new_counter = dataversion.current()
    assert new_token != token and new_counter == counter + 1
    assert w


def test_options_key_tells_options_apart():
    assert cache.options_key(ProgressOptions()) == cache.options_key(options_from({}))
    assert cache.options_key(OTHER_OPTIONS) != cache.options_key(ProgressOptions())


# --- two processes ------------------------------------------------------------------------

class Worker:
    """tests/services/report_cache_worker.py: the app in another process, its own connection
    and its own cache, driven line by line."""

    def __init__(self, url, instance):
        script = os.path.join(os.path.dirname(__file__), "report_cache_worker.py")
        root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
        self.proc = subprocess.Popen(
            [sys.executable, script, url, str(instance), TODAY.isoformat()], cwd=root,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": root})

    def ask(self, *command):
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "worker died"
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(30)


def test_a_write_in_one_process_is_seen_by_the_next_read_in_another(db, database_url, tmp_path):
    w = _seeded_world()
    pid = Project.select().first().id
    database.close()     # SQLite: the other process takes the write lock too
    worker = Worker(database_url, tmp_path / "worker")
    try:
        first = worker.ask("report", 2026, TODAY.isoformat())
        again = worker.ask("report", 2026, TODAY.isoformat())
        assert again == first and worker.ask("stats")["hits"] >= 1
        P.record_funds(w["user"], pid, received_on=TODAY, amount="4321")   # here, committed
        database.close()
        seen = worker.ask("report", 2026, TODAY.isoformat())
        assert seen != first and seen == repr(PR.fresh_report(2026, TODAY))
        here = PR.build_report(2026, TODAY)                                # cached here now
        assert worker.ask("funds", pid, TODAY.isoformat(), "17") == "ok"   # there, committed
        assert PR.build_report(2026, TODAY) != here
        assert PR.build_report(2026, TODAY) == PR.fresh_report(2026, TODAY)
        database.close()
        assert worker.ask("report", 2026, TODAY.isoformat()) == repr(PR.fresh_report(2026, TODAY))
    finally:
        worker.close()
