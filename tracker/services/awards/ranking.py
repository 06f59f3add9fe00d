"""落地成效 award ranking per task force and year (docs/design.md, Awards): what is counted,
the live ranking, the one frozen ranking of a year and its .xlsx export. The scoring rules
and weights are tracker/domain/awards.py.

Which projects count, for ``year`` judged at ``as_of`` (a local date):

- **Signed** (the cohort): projects whose first-reached 签约 date ``signed_on`` lies in
  ``year`` and on or before ``as_of``. First-reached dates are rebuilt without a voided stage
  event (docs/design.md, Corrections), so a voided 签约 does not count.
- **Started** (履约率): of the cohort, those with ``started_on`` ≤ ``as_of``;
  **started in year** (开工率): ``started_on`` ≤ the earlier of ``as_of`` and 31 December of
  ``year``; **producing** (投产率): ``producing_on`` ≤ ``as_of``.
- **退库 rule**: a cohort project that is in 退库 now, by a 退库 event (not voided) dated on
  or before ``as_of``, counts as signed but as neither started nor producing, whatever it
  reached before it was dropped. A project dropped after ``as_of`` counts as it stood then;
  a project restored from 退库 counts by its first-reached dates again.
- **签约总额** of a cohort project: its 签约额 in force on ``as_of`` (a later 变更 does not reach
  back) plus its 增资 dated on or before ``as_of`` (voided ones excluded). It is the
  denominator of 资金到位率 and decides the ≥ 10亿元 (100,000 万元) count. A 退库 project's
  签约总额 stays in the denominator.
- **到位资金**: receipts of cohort projects dated on or before ``as_of``, whatever year they
  arrived in; voided receipts never count.
- **500强/央企**: a cohort project tagged 世界500强, 央企 or 民营500强 (one count per project).

Every figure comes from two grouped aggregates (projects; receipts), per task force. The
teams listed are the active task forces plus any other with a cohort project.

Weights: AWARD_WEIGHTS (``weights_from(config)``, checked when used); the edge builds them from the
app's config (tracker.settings.award_weights) and passes them as ``weights`` (the
defaults of domain.awards when left out).
"""
import datetime
import json
from dataclasses import dataclass
from decimal import Decimal

from peewee import JOIN, Case, fn

from ... import clock
from ...config import setting
from ...domain import awards as A
from ...domain import money, periods, pipeline
from ...models import (AwardFreeze, AwardRanking, CapitalIncrease, FundReceipt, Project,
    StageEvent, TaskForce, User)
from ..xlsx import new_book, workbook_bytes, write_rows
from ..figures.in_force import value_in_force


@dataclass(frozen=True)
class FrozenInfo:
    frozen_at: datetime.datetime  # naive UTC
    frozen_by: str
    as_of: datetime.date


@dataclass(frozen=True)
class Ranking:
    """A ranking of ``year`` judged at ``as_of``: ``rows`` (domain Scored, best first; only
    the visible task forces), the weights and the year's largest counts it used, and
    ``frozen`` (FrozenInfo) when it is the frozen ranking."""
    year: int
    as_of: datetime.date
    weights: dict
    maxima: dict
    rows: list
    frozen: FrozenInfo | None = None
    total_teams: int = 0  # task forces ranked (also those not visible)

    @property
    def weight_total(self):
        return sum(self.weights.values())

    @property
    def formula(self):
        return A.FORMULA


def weights_from(config):
    """AWARD_WEIGHTS of a config mapping (tracker.config.Defaults when missing), as given:
    a ranking checks them when it uses them (ValueError for a bad one)."""
    return setting(config, "AWARD_WEIGHTS")


def checked_weights(weights):
    """``weights`` checked, or the defaults of domain.awards."""
    return A.clean_weights(A.DEFAULT_WEIGHTS if weights is None else weights)


# --- what is counted ----------------------------------------------------------------

def _cohort(year, as_of):
    """Condition of the signed projects of ``year`` counted at ``as_of`` (None: none yet)."""
    last = periods.clamp(as_of, year)
    return None if last is None else Project.signed_on.between(periods.year_start(year), last)


def _dropped(as_of):
    """Condition: the project is in 退库 by a 退库 event dated on or before ``as_of``."""
    last_drop = (StageEvent.select(fn.MAX(StageEvent.occurred_on))
                 .where((StageEvent.project == Project.id)
                        & (StageEvent.stage == pipeline.DROPPED) & StageEvent.counted()))
    return (Project.stage == pipeline.DROPPED) & (last_drop <= as_of)


def _has_tag(tag):
    tags = Project.tags
    return ((tags == tag) | tags.startswith(tag + ",") | tags.endswith("," + tag)
            | tags.contains("," + tag + ","))


def _count_if(condition):
    return fn.SUM(Case(None, ((condition, 1),), 0))


def _contract_total(as_of):
    """SQL: 签约额 in force on ``as_of`` + 增资 dated up to ``as_of`` (not voided)."""
    increases = (CapitalIncrease.select(fn.SUM(CapitalIncrease.amount))
                 .where((CapitalIncrease.project == Project.id) & CapitalIncrease.counted()
                        & (CapitalIncrease.occurred_on <= as_of)))
    return (fn.COALESCE(value_in_force("contract_value", as_of), 0)
            + fn.COALESCE(increases, 0))


def _project_counts(year, as_of, cohort):
    """{task_force_id: {column: value}}: one aggregate over the cohort."""
    live = ~_dropped(as_of)
    year_last = min(as_of, periods.year_end(year))
    top = _has_tag(A.TOP_TAGS[0])
    for tag in A.TOP_TAGS[1:]:
        top = top | _has_tag(tag)
    total = _contract_total(as_of)
    query = (Project.select(
        Project.task_force.alias("gid"), fn.COUNT(Project.id).alias("signed"),
        _count_if(live & (Project.started_on <= as_of)).alias("started"),
        _count_if(live & (Project.started_on <= year_last)).alias("started_in_year"),
        _count_if(live & (Project.producing_on <= as_of)).alias("producing"),
        fn.SUM(total).alias("contract_total"),
        _count_if(total >= int(A.BIG_PROJECT_WAN)).alias("big_projects"),
        _count_if(top).alias("top_investors"))
        .where(cohort).group_by(Project.task_force))
    return {row.pop("gid"): row for row in query.dicts()}


def _funds(as_of, cohort):
    """{task_force_id: 到位资金 of the cohort's receipts up to ``as_of``}."""
    query = (FundReceipt.select(Project.task_force.alias("gid"),
                                fn.SUM(FundReceipt.amount).alias("total"))
             .join(Project)
             .where(cohort & FundReceipt.counted() & (FundReceipt.received_on <= as_of))
             .group_by(Project.task_force))
    return {row["gid"]: money.to_decimal(row["total"]) for row in query.dicts()}


def team_facts(year, as_of):
    """[domain TeamFacts] of every task force ranked for ``year`` at ``as_of``, by code."""
    cohort = _cohort(year, as_of)
    counts = _project_counts(year, as_of, cohort) if cohort is not None else {}
    funds = _funds(as_of, cohort) if cohort is not None else {}
    teams = (TaskForce.select(TaskForce.id, TaskForce.code, TaskForce.name)
             .where((TaskForce.active == True) | TaskForce.id.in_(list(counts) or [0]))  # noqa: E712
             .order_by(TaskForce.code))
    out = []
    for team in teams:
        row = counts.get(team.id, {})
        ints = {k: int(row.get(k) or 0) for k in
                ("signed", "started", "started_in_year", "producing", "big_projects",
                 "top_investors")}
        out.append(A.TeamFacts(task_force_id=team.id, code=team.code, name=team.name,
                               contract_total=money.to_decimal(row.get("contract_total")),
                               funds_received=funds.get(team.id, Decimal("0.00")), **ints))
    return out


# --- live and frozen rankings -------------------------------------------------------

def _visible(rows, task_force_ids):
    if task_force_ids is None:
        return list(rows)
    keep = set(task_force_ids)
    return [r for r in rows if r.facts.task_force_id in keep]


def ranking(year, as_of, weights=None, task_force_ids=None):
    """The live Ranking of ``year`` at ``as_of`` with ``weights`` (default: the defaults).
    Scores are normalised over every task force; ``task_force_ids`` only limits the rows
    returned (None: all)."""
    weights = checked_weights(weights)
    facts = team_facts(year, as_of)
    rows = A.score_all(facts, weights)
    return Ranking(year=year, as_of=as_of, weights=weights, maxima=A.maxima(facts),
                   rows=_visible(rows, task_force_ids), total_teams=len(rows))


def already_frozen(head):
    who = _name(head.frozen_by) if head.frozen_by_id else "系统"
    return (f"{head.year} 年落地成效排名已于 {_local(head.frozen_at)} 由 {who} 冻结"
            f"（统计截至 {head.as_of.isoformat()}），每年只冻结一次，不能再次冻结；"
            "如需更正，请管理员先撤销冻结。")


def _name(user):
    return user.display_name or user.username


def _local(utc_naive):
    return clock.to_local(utc_naive).strftime("%Y-%m-%d %H:%M")


def _info(head):
    return FrozenInfo(frozen_at=head.frozen_at, as_of=head.as_of,
                      frozen_by=_name(head.frozen_by) if head.frozen_by_id else "系统")


def freeze_head(year):
    return (AwardFreeze.select(AwardFreeze, User)
            .join(User, on=(AwardFreeze.frozen_by == User.id), join_type=JOIN.LEFT_OUTER)
            .where(AwardFreeze.year == year).first())


def _dump_part(part):
    value = part.value if part.value is None or isinstance(part.value, int) else str(part.value)
    return [value, str(part.basis), str(part.weight), str(part.contribution)]


def row_values(head, scored):
    f = scored.facts
    return dict(freeze=head.id, task_force=f.task_force_id, code=f.code, name=f.name,
                rank=scored.rank, score=scored.score, signed=f.signed, started=f.started,
                started_in_year=f.started_in_year, producing=f.producing,
                contract_total=f.contract_total, funds_received=f.funds_received,
                big_projects=f.big_projects, top_investors=f.top_investors,
                parts=json.dumps({p.key: _dump_part(p) for p in scored.parts}))


def _load_part(key, raw):
    value, basis, weight, contribution = raw
    if value is not None and key in A.RATE_KEYS:
        value = Decimal(value)
    return A.Part(key, value, Decimal(basis), Decimal(weight), Decimal(contribution))


def _scored(row):
    parts = json.loads(row.parts or "{}")
    facts = A.TeamFacts(
        task_force_id=row.task_force_id, code=row.code, name=row.name, signed=row.signed,
        started=row.started, started_in_year=row.started_in_year, producing=row.producing,
        contract_total=row.contract_total, funds_received=row.funds_received,
        big_projects=row.big_projects, top_investors=row.top_investors)
    return A.Scored(facts, tuple(_load_part(k, parts[k]) for k in A.KEYS if k in parts),
                    row.score, row.rank)


def frozen(year, task_force_ids=None):
    """The frozen Ranking of ``year`` exactly as it was frozen (None when not frozen)."""
    head = freeze_head(year)
    if head is None:
        return None
    weights = {k: Decimal(v) for k, v in json.loads(head.weights or "{}").items()}
    rows = [_scored(r) for r in AwardRanking.select()
            .where(AwardRanking.freeze == head.id)
            .order_by(AwardRanking.rank, AwardRanking.code)]
    return Ranking(year=year, as_of=head.as_of, weights=weights,
                   maxima=json.loads(head.maxima or "{}"), rows=_visible(rows, task_force_ids),
                   frozen=_info(head), total_teams=len(rows))


def frozen_info(year):
    """FrozenInfo of ``year``'s frozen ranking, or None."""
    head = freeze_head(year)
    return None if head is None else _info(head)


# --- export -------------------------------------------------------------------------

def _cell(part):
    return None if part.value is None else float(part.value)


EXPORT_COLUMNS = (
    ("名次", lambda s: s.rank), ("专班代码", lambda s: s.facts.code),
    ("专班", lambda s: s.facts.name), ("得分", lambda s: float(s.score)),
    ("签约项目（个）", lambda s: s.facts.signed), ("已开工（个）", lambda s: s.facts.started),
    ("当年开工（个）", lambda s: s.facts.started_in_year),
    ("已投产（个）", lambda s: s.facts.producing),
    ("签约总额（万元）", lambda s: float(s.facts.contract_total)),
    ("到位资金（万元）", lambda s: float(s.facts.funds_received)),
) + tuple(
    column for key in A.KEYS for column in (
        (f"{A.LABELS[key]}{'（%）' if key in A.RATE_KEYS else '（个）'}",
         lambda s, k=key: _cell(s.part(k))),
        (f"{A.LABELS[key]}基准分", lambda s, k=key: float(s.part(k).basis)),
        (f"{A.LABELS[key]}贡献", lambda s, k=key: float(s.part(k).contribution))))


def export_xlsx(result):
    """A Ranking as an .xlsx workbook (bytes): the ranking sheet, then the weights and the
    formula, streamed by services.xlsx (text never a formula)."""
    book = new_book()
    state = (f"已冻结（{_local(result.frozen.frozen_at)}，{result.frozen.frozen_by}）"
             if result.frozen else "实时计算，未冻结")
    write_rows(book, "落地成效排名", [
        [f"{result.year} 年落地成效排名", f"统计截至 {result.as_of.isoformat()}", state],
        [title for title, _ in EXPORT_COLUMNS],
    ] + [[get(row) for _, get in EXPORT_COLUMNS] for row in result.rows], bold={2},
        freeze="D3")
    write_rows(book, "权重与公式", [["分项", "权重", "当年最大数量"]] + [
        [A.LABELS[key], float(result.weights[key]),
         result.maxima.get(key) if key in A.COUNT_KEYS else None] for key in A.KEYS
    ] + [["权重合计", float(result.weight_total), None], [A.FORMULA]])
    return workbook_bytes(book)


def page_data(year, as_of, task_force_ids=None, use_frozen=False, weights=None):
    """What the award pages show: ``ranking`` (the frozen one when ``use_frozen`` and the
    year is frozen, else the live one at ``as_of`` with ``weights``) and ``frozen_info`` of
    the year (or None)."""
    info = frozen_info(year)
    result = use_frozen and info is not None and frozen(year, task_force_ids)
    return {"ranking": result or ranking(year, as_of, weights, task_force_ids=task_force_ids),
            "frozen_info": info}
