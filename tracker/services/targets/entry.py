"""What a user enters on the target pages (docs/design.md, Annual targets; issue "Targets
entered safely").

Units: money targets are typed in 亿元 and converted here to 万元 (the stored unit, and the
unit of services.targets.annual); counts stay 个. Every revision needs a reason. A revision that
moves a target by more than ×10 or ÷10, or sets a money target below the floor
(config TARGET_FLOOR_YI, 亿元), is judged under the lock against the current version and
refused with domain.targets.NeedsConfirmation until the user confirms it: ``confirm`` is
the token the refusal carried, so only the very revision that was shown is saved.
The floor comes as ``floor`` (万元, ``floor_from(config)``, built by the edge).
"""
from ...config import setting
from ...domain import metrics as M
from ...domain import targets as D
from ...domain.errors import ValidationError
from . import annual as T
from .inputs import check_year, number, row_id, yi_number
from .inputs import reason as clean_reason


def floor_from(config):
    """The money-target floor in 万元 of a config mapping (TARGET_FLOOR_YI, in 亿元)."""
    return D.floor_wan(setting(config, "TARGET_FLOOR_YI"))


DEFAULT_FLOOR = floor_from({})


def parse_values(errors, values):
    """{metric: 万元 Decimal, count or None} from what the form sent ({metric: text};
    money in 亿元). Errors are keyed by metric."""
    parsed = {}
    for key, raw in values.items():
        if key not in M.METRICS:
            errors[key] = "未知指标。"
        elif M.get(key).is_money:
            parsed[key] = yi_number(errors, key, raw, label="目标值")
        else:
            parsed[key] = number(errors, key, raw, label="目标值", integer=True)
    return parsed


def _review(parsed, confirm, floor):
    """The check run under the lock: warnings of the changed metrics, unless confirmed."""
    def review(current):
        warnings, seen = {}, []
        for key, new in parsed.items():
            old = current.get(key)
            is_money = M.get(key).is_money
            message = D.revision_warning(old, new, is_money=is_money,
                                         floor_wan=floor if is_money else None)
            if message:
                warnings[key] = message
                seen.append((key, old, new))
        if warnings and confirm != D.token(seen):
            raise D.NeedsConfirmation(warnings, D.token(seen))
    return review


def enter_targets(user, task_force, year, values, reason, *, confirm=None,
                  floor=DEFAULT_FLOOR):
    """Save what the task-force target form sent (money in 亿元; empty = unchanged);
    ``floor``: the money-target floor in 万元.

    Every value and the (required) reason are checked first; then one transaction locks
    the task force, re-reads the current versions, refuses a suspicious revision that was
    not confirmed (NeedsConfirmation, nothing written) and writes the changed metrics.
    Returns the number of new versions."""
    errors = {}
    team_id = row_id(errors, "task_force", task_force, T.MISSING_TEAM)
    year = check_year(year, errors)
    parsed = parse_values(errors, values)
    reason = clean_reason(errors, reason, required=True)
    if errors:
        raise ValidationError(errors)
    return T.write_parsed(user, team_id, year, parsed, reason,
                          review=_review(parsed, confirm, floor))
