"""招商活跃指数 kept as maintained weekly counts (issue 21): after any random sequence of logs,
edits and voids the stored counts equal a count of the whole log, a rebuild repairs drift,
and the weekly ranking of a small week equals the hand computation. Every backend."""
import datetime
import random
from decimal import Decimal

import pytest

from tests.factories import make_project, make_task_force, make_user
from tracker import clock
from tracker.domain import activity_index as rules
from tracker.domain import pipeline
from tracker.domain.errors import ValidationError
from tracker.models import Activity, ActivityWeek
from tracker.services import tx
from tracker.services.activities import index, log
from tracker.services.ledger import projects as P

TODAY = datetime.date(2026, 12, 9)           # a Wednesday: last complete week starts 30 Nov
LAST_WEEK = datetime.date(2026, 11, 30)
D = datetime.timedelta


@pytest.fixture(autouse=True)
def december(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda tz=None: TODAY)


def _log(user, team, day, kind="visit", **kw):
    return log.log(user, task_force=team.id, kind=kind, occurred_on=day, summary="拜访", **kw)


def test_random_logs_edits_and_voids_keep_the_counts_equal_to_the_log(db):
    rnd = random.Random(21)
    teams = [make_task_force("A"), make_task_force("B")]
    user = make_user("bureau", role="bureau")
    made = []
    for _ in range(40):
        op = rnd.random()
        try:
            if op < 0.6 or not made:
                made.append(_log(user, rnd.choice(teams), TODAY - D(rnd.randrange(60)),
                                 kind=rnd.choice(list(rules.DEFAULT_WEIGHTS)[:7]),
                                 leader_led=rnd.random() < 0.3, leader_title="副市长",
                                 counterpart_tags=rnd.choice([[], ["央企"], ["外资"]]),
                                 closed_reason="补录"))
            elif op < 0.8:
                a = Activity.get_by_id(rnd.choice(made).id)
                log.edit(user, a.id, version=a.version, kind=rnd.choice(["call", "visit"]),
                         occurred_on=TODAY - D(rnd.randrange(60)), summary="改", closed_reason="补录",
                         counterpart_tags=rnd.choice([[], ["世界500强"]]))
            else:
                log.void(user, rnd.choice(made).id, "作废")
        except ValidationError:
            pass
    assert index.check() == []
    assert sum(r.count for r in ActivityWeek.select()) == Activity.select().where(
        Activity.voided_at.is_null()).count()
    ActivityWeek.update(count=ActivityWeek.count + 3).execute()       # drift
    with tx.write():
        assert index.rebuild()
    assert index.check() == []


def test_the_weekly_ranking_by_hand(db):
    a, b = make_task_force("A"), make_task_force("B")
    member = make_user("m", task_forces=[a, b])
    _log(member, a, LAST_WEEK + D(1), leader_led=True, leader_title="副市长", counterpart_tags=["央企"])  # 6.75
    _log(member, a, LAST_WEEK + D(2), kind="call")                                                     # 1
    voided = _log(member, a, LAST_WEEK + D(2), kind="signing")
    log.void(member, voided.id, "记错")
    make_project(a, "签约项目", on=LAST_WEEK + D(3), stage=pipeline.SIGNED, contract_value="100")
    # packaged + negotiating + signed reached that day: 2 + 2 + 5
    P.record_funds(None, make_project(b, "到账项目", on=LAST_WEEK - D(20)).id, received_on=LAST_WEEK + D(4),
                   amount="5000", source_layer="省外")      # 0.5 亿 × 2 = 1
    _log(member, b, LAST_WEEK - D(7), kind="promotion")        # the week before: 3
    rows, weeks = index.weekly(TODAY, rules.DEFAULT_WEIGHTS, [(a.id, "A", "甲"), (b.id, "B", "乙")])
    assert weeks[-1] == LAST_WEEK
    first, second = rows
    assert (first.code, first.last, first.activities[-1]) == ("A", Decimal("16.8"), 2)   # 7.75 + 9 = 16.75
    assert (second.code, second.last, second.change) == ("B", Decimal("1.0"), Decimal("-2.0"))
    assert not first.quiet and second.quiet is False


def test_the_weekly_mails_carry_the_index(app, db):
    from tracker import settings
    from tracker.domain.weeks import week_of
    from tracker.services.mail import data, render
    a = make_task_force("A", "甲专班")
    make_task_force("B", "乙专班")
    member = make_user("m", task_forces=[a])
    _log(member, a, LAST_WEEK + D(1))
    _log(member, a, LAST_WEEK + D(2), kind="call")
    week = data.collect(week_of(LAST_WEEK), settings.mail(app))
    row = next(r for r in week.report.rows if r.code == "A")
    draft = render.task_force_draft(week, row)
    assert "五、招商活跃指数" in draft.text and "本专班本周 4.0，全市第 1 名" in draft.text
    assert "五、招商活跃指数" in draft.html
    city = render.city_draft(week)
    assert "招商活跃指数（本周前三）：1. 甲专班 4.0；2. 乙专班 0.0" in city.text


def test_the_bulletin_names_the_periods_most_active_teams(db):
    import io
    from docx import Document
    from tracker.services.bulletin import report as bulletin, word
    a = make_task_force("A", "甲专班")
    make_task_force("B", "乙专班")
    _log(None, a, datetime.date(2026, 11, 3))                  # Q4: not in H1
    _log(None, a, datetime.date(2026, 3, 3), kind="promotion")
    h1 = bulletin.build_bulletin(2026, "h1", today=TODAY)
    assert [(name, done) for name, _score, done in h1.activity] == [("甲专班", 1), ("乙专班", 0)]
    assert h1.activity_text == "招商活跃指数（今年累计）前三：甲专班3.0、乙专班0.0。无跟进记录：乙专班。"
    paragraphs = [p.text for p in Document(io.BytesIO(word.bulletin_docx(h1))).paragraphs]
    assert any(p.endswith(h1.activity_text) for p in paragraphs)
    assert bulletin.build_bulletin(2025, "year", today=TODAY).activity == ()     # no activity then


def test_the_remembered_ranking_moves_with_every_write_of_the_log(db):
    a = make_task_force("A")
    teams = [(a.id, "A", "甲")]
    _log(None, a, LAST_WEEK - D(21), kind="call")     # a first counted write: the version row exists
    first, _ = index.weekly(TODAY, rules.DEFAULT_WEIGHTS, teams)
    assert first[0].last == 0 and first[0].activities[-4] == 1
    assert index.weekly(TODAY, rules.DEFAULT_WEIGHTS, teams)[0] is first     # remembered
    logged = _log(None, a, LAST_WEEK + D(1), kind="call")
    assert index.weekly(TODAY, rules.DEFAULT_WEIGHTS, teams)[0][0].last == Decimal("1.0")
    log.void(None, logged.id, "记错")
    assert index.weekly(TODAY, rules.DEFAULT_WEIGHTS, teams)[0][0].last == 0


def test_outcomes_fall_in_their_iso_week_on_every_backend(db):
    """The database counts each outcome in the week of its date (Monday .. Sunday), as
    rules.week_start does: a project packaged on every day of three weeks."""
    team = make_task_force("JXHG")
    first = datetime.date(2026, 10, 5)                  # a Monday
    days = [first + datetime.timedelta(days=n) for n in range(21)]
    for n, day in enumerate(days):
        make_project(team, f"包装项目{n}", stage=pipeline.PACKAGED, on=day)
    weeks = [first + datetime.timedelta(weeks=n) for n in range(3)]
    found = index._outcomes(weeks, [team.id])
    assert {week: found[(team.id, week)]["packaged"] for week in weeks} == {week: 7 for week in weeks}
    assert set(found) == {(team.id, week) for week in weeks}
