"""Pipeline stages and the rules for moving a project between them."""
from dataclasses import dataclass

RESERVE = "reserve"
PACKAGED = "packaged"
NEGOTIATING = "negotiating"
SIGNED = "signed"
STARTED = "started"
PRODUCING = "producing"
AT_CAPACITY = "at_capacity"
DROPPED = "dropped"

# Forward order of the live pipeline (达产 is optional, the last step).
ORDER = (RESERVE, PACKAGED, NEGOTIATING, SIGNED, STARTED, PRODUCING, AT_CAPACITY)
STAGES = ORDER + (DROPPED,)

LABELS = {
    RESERVE: "储备/谋划",
    PACKAGED: "策划包装",
    NEGOTIATING: "洽谈",
    SIGNED: "签约",
    STARTED: "开工",
    PRODUCING: "投产",
    AT_CAPACITY: "达产",
    DROPPED: "退库",
}

# Stages whose first-reached date is kept on the project (denormalised, indexed).
MILESTONE_STAGES = (PACKAGED, NEGOTIATING, SIGNED, STARTED, PRODUCING, AT_CAPACITY)
FIRST_REACHED_FIELD = {stage: f"{stage}_on" for stage in MILESTONE_STAGES}

SIGNING_GRADES = {
    "contract": "正式合同",
    "framework": "框架协议",
    "intent": "意向",
}


def label(stage):
    return LABELS.get(stage, stage)


_RANKS = {stage: position for position, stage in enumerate(ORDER)}


def rank(stage):
    """Position in the live pipeline; 退库 has no rank (None)."""
    return _RANKS.get(stage)


def choices(include_dropped=False):
    stages = STAGES if include_dropped else ORDER
    return [(s, LABELS[s]) for s in stages]


@dataclass(frozen=True)
class MoveCheck:
    errors: dict  # field name -> message

    @property
    def ok(self):
        return not self.errors


def change_kind(from_stage, stage):
    """"new", "dropped", "advance" or "back" for a move from ``from_stage`` to ``stage``
    (``from_stage`` None: the project's first stage)."""
    if from_stage is None:
        return "new"
    if stage == DROPPED:
        return "dropped"
    if from_stage == DROPPED or (rank(stage) or 0) > (rank(from_stage) or 0):
        return "advance"
    return "back"


def check_move(current, target, *, note="", contract_value=None, reason=""):
    """Validate a stage change. Returns MoveCheck with per-field messages."""
    errors = {}
    if target not in STAGES:
        errors["stage"] = "未知阶段。"
        return MoveCheck(errors)
    if target == current:
        errors["stage"] = f"项目已处于「{label(target)}」阶段。"
        return MoveCheck(errors)
    if target == DROPPED:
        if not (reason or "").strip():
            errors["reason"] = "退库必须填写原因。"
        return MoveCheck(errors)
    note = (note or "").strip()
    if current == DROPPED:
        if not note:
            errors["note"] = "从退库恢复项目必须填写说明。"
    elif rank(target) < rank(current) and not note:
        errors["note"] = (f"从「{label(current)}」退回「{label(target)}」必须填写说明。")
    if rank(target) >= rank(SIGNED) and (contract_value is None or contract_value <= 0):
        errors["contract_value"] = "签约及之后的阶段必须填写签约额（万元）。"
    return MoveCheck(errors)


def first_reached_updates(first_reached, target, on):
    """Dates to write into the project's first-reached columns when it reaches
    ``target`` on date ``on``.

    A project that skips stages also reaches every stage it skipped. A date is
    only ever moved earlier (a back-dated event), never cleared or moved later,
    so undoing and redoing a stage never counts the project again.
    ``first_reached`` maps stage -> date or None. Returns stage -> new date.
    """
    if target not in ORDER:
        return {}
    updates = {}
    for stage in ORDER[1:rank(target) + 1]:
        if stage == AT_CAPACITY and target != AT_CAPACITY:
            continue  # 达产 is optional: never implied by reaching 投产
        existing = first_reached.get(stage)
        if existing is None or on < existing:
            updates[stage] = on
    return updates
