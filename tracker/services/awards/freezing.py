"""冻结 and 撤销冻结 of a year's 落地成效 ranking (issue 19: nothing irreversible on one click).

A year is frozen once (UNIQUE year), normally after it has ended. Freezing a running year
needs a stated reason and a second, explicit confirmation (``early``): a ranking frozen three
weeks before year end would otherwise stand for good. An admin may take a freeze back
(撤销冻结) with a reason: the frozen rows go, the audit row keeps them all (who froze, when,
as of which date, with which weights, every task force's rank and score), and the year can
be frozen again. Each is one transaction with one audit row.
"""
import json

from peewee import IntegrityError

from ... import clock
from ...domain import awards as A
from ...domain import periods, text
from ...domain.errors import NotFound, ValidationError
from ...models import AwardFreeze, AwardRanking, utcnow
from .. import audit, dataversion, tx
from .ranking import already_frozen, checked_weights, freeze_head, frozen, row_values, team_facts

REASON_MAX = 500
NEEDS_REASON = "{year} 年尚未结束：提前冻结须填写原因。"
NEEDS_EARLY = "{year} 年尚未结束：请勾选“确认提前冻结”。冻结后排名不再随台账变化。"
NOT_FROZEN = "{year} 年的落地成效排名尚未冻结，无需撤销。"
ADMIN_ONLY = "只有管理员可以撤销冻结。"


def year_running(year, today=None):
    """Whether ``year`` has not ended yet (Asia/Shanghai)."""
    return year >= (today or clock.today()).year


def _reason(reason, required):
    cleaned, error = text.clean(reason, label="原因", max_length=REASON_MAX, required=required,
                                multiline=True)
    if error:
        raise ValidationError({"reason": error})
    return cleaned


def _check(year, as_of, reason, early):
    if periods.clamp(as_of, year) is None:
        raise ValidationError({"as_of": f"统计日期 {as_of.isoformat()} 早于 {year} 年，"
                                        "没有可冻结的排名。"})
    if as_of > clock.today():
        raise ValidationError({"as_of": f"统计日期 {as_of.isoformat()} 晚于今天，不能冻结。"})
    if not year_running(year):
        return _reason(reason, required=False)
    errors = {}
    try:
        reason = _reason(reason, required=True)
    except ValidationError:
        errors["reason"] = NEEDS_REASON.format(year=year)
    if not early:
        errors["early"] = NEEDS_EARLY.format(year=year)
    if errors:
        raise ValidationError(errors)
    return reason


def freeze(user, year, as_of, weights=None, *, reason="", early=False):
    """Freeze the ranking of ``year`` judged at ``as_of`` (weights default: the defaults):
    one AwardFreeze row (UNIQUE year: taken first, it is the write lock) and one
    AwardRanking row per task force, plus an audit row, in one transaction. A running year
    needs ``reason`` and ``early``; a frozen year raises ValidationError and nothing is
    written. Returns the frozen Ranking."""
    weights = checked_weights(weights)
    reason = _check(year, as_of, reason, early)
    existing = freeze_head(year)
    if existing is not None:
        raise ValidationError({"__all__": already_frozen(existing)})
    try:
        with tx.write():
            dataversion.changed()
            head = AwardFreeze.create(year=year, as_of=as_of, frozen_at=utcnow(),
                                      weights=json.dumps({k: str(v) for k, v in weights.items()}),
                                      frozen_by=user if getattr(user, "id", None) else None)
            facts = team_facts(year, as_of)
            rows = A.score_all(facts, weights)
            head.maxima = json.dumps(A.maxima(facts))
            head.save(only=[AwardFreeze.maxima])
            if rows:
                AwardRanking.insert_many([row_values(head, r) for r in rows]).execute()
            audit.record(user, "award_ranking", head.id, "freeze", None, dict(
                year=year, as_of=as_of, weights=head.weights, task_forces=len(rows),
                early=year_running(year), reason=reason))
    except IntegrityError:
        raise ValidationError({"__all__": already_frozen(freeze_head(year))}) from None
    return frozen(year)


def unfreeze(user, year, reason):
    """撤销冻结 (admin): the frozen ranking of ``year`` removed, one audit row keeping all of
    it, so the year can be frozen again. ValidationError (nothing written) otherwise."""
    if user is not None and getattr(user, "role", None) != "admin":
        raise ValidationError({"__all__": ADMIN_ONLY})
    reason = _reason(reason, required=True)
    with tx.write():
        dataversion.changed()
        try:
            head = tx.lock(AwardFreeze, AwardFreeze.year == int(year))
        except NotFound:
            raise ValidationError({"__all__": NOT_FROZEN.format(year=year)}) from None
        rows = list(AwardRanking.select(AwardRanking.code, AwardRanking.rank, AwardRanking.score)
                    .where(AwardRanking.freeze == head.id).order_by(AwardRanking.rank).tuples())
        before = dict(year=head.year, as_of=head.as_of, frozen_at=head.frozen_at,
                      frozen_by=head.frozen_by_id, weights=head.weights,
                      ranking=[[code, rank, str(score)] for code, rank, score in rows])
        AwardRanking.delete().where(AwardRanking.freeze == head.id).execute()
        AwardFreeze.delete().where(AwardFreeze.id == head.id).execute()
        audit.record(user, "award_ranking", head.id, "unfreeze", before, {"reason": reason})
    return before
