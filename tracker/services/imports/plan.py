"""What the write path makes of one new import row, worked out in memory (issue "Excel in
and out"; docs/design.md, The write path).

A new row of a preview (services.imports.preview: cleaned by services.ledger.inputs, checked
by the domain rules) is, one by one, ``projects.create_project`` at its first dated stage
and one ``projects.change_stage`` per later one. :func:`plan` gives the project row and the
stage events those calls would write: the preview's cleaned values, the same rules
(pipeline.check_move, pipeline.first_reached_updates, project_input's amount check of a
value the preview left unjudged) and the same messages. services.imports.bulk writes many
plans at once.
"""
from dataclasses import dataclass

from ...domain import pipeline
from ...domain.errors import ValidationError
from ...models import Project
from ..ledger import inputs as clean

SIGNED_NEEDS_VALUE = "签约及之后的阶段必须填写签约额（万元）。"
NEW_NOTE = "新建项目"


@dataclass
class Planned:
    row: object          # project_import.Row
    project: Project     # not saved: the values the per-row path leaves in the ledger
    events: list         # [{"from_stage", "stage", "occurred_on", "note"}] in order


def fail(row, exc):
    """The batch's refusal naming ``row`` (everything is rolled back)."""
    messages = "；".join(exc.errors.values()) if isinstance(exc, ValidationError) else str(exc)
    raise ValidationError({"__all__": f"第 {row.number} 行（{row.name}）导入失败：{messages}"
                                      "。整个文件均未导入，请修改后重新上传。"})


def signs_later(stage, later):
    """Created before 签约 and signed by a later event: the contract value and grade
    belong to that event."""
    signed = pipeline.rank(pipeline.SIGNED)
    return pipeline.rank(stage) is not None and pipeline.rank(stage) < signed and any(
        pipeline.rank(s) is not None and pipeline.rank(s) >= signed for s, _ in later)


def moved_back(current, stage):
    return current == pipeline.DROPPED or (
        stage != pipeline.DROPPED and pipeline.rank(stage) < pipeline.rank(current))


def back_note(note, stage):
    return f"{note}：当前阶段为{pipeline.label(stage)}"


class Notes:
    """The batch's note as the services store it (cleaned like any note), once per form."""

    def __init__(self, note):
        self.raw = note
        self._cleaned = {}

    def get(self, back_to=None):
        if back_to not in self._cleaned:
            errors = {}
            raw = back_note(self.raw, back_to) if back_to else self.raw
            value = clean.clean_text(errors, "note", raw, "说明")
            self._cleaned[back_to] = (value, errors)
        value, errors = self._cleaned[back_to]
        if errors:
            raise ValidationError(errors)
        return value


def plan(row, notes):
    """The Planned project of the new ``row``; raises ValidationError where the per-row
    path would refuse it."""
    (stage, day), later = row.events[0], row.events[1:]
    fields = dict(row.fields)
    signing = {}
    if signs_later(stage, later):
        signing = {"contract_value": fields.get("contract_value"),
                   "signing_grade": fields.get("signing_grade")}
        fields["contract_value"], fields["signing_grade"] = None, None
    note = notes.get()
    if pipeline.rank(stage) >= pipeline.rank(pipeline.SIGNED) and not fields.get("contract_value"):
        raise ValidationError({"contract_value": SIGNED_NEEDS_VALUE})
    project = Project(task_force=row.team, stage=stage, dedupe_key=row.key,
                      last_progress_on=day, **fields)
    for st, first in pipeline.first_reached_updates({}, stage, day).items():
        setattr(project, pipeline.FIRST_REACHED_FIELD[st], first)
    events = [{"from_stage": None, "stage": stage, "occurred_on": day,
               "note": note or NEW_NOTE}]
    for st, on in later:
        events.append(_move(project, st, on, row, notes, signing))
    return Planned(row, project, events)


def _move_inputs(project, stage, row, notes, signing):
    """The inputs of the change_stage call for this event. The date, the reason and the
    grade are the preview's cleaned values; the value is judged as change_stage judges
    it (a signing event needs one greater than 0), then the move as it would be."""
    value = grade = None
    reason = ""
    if stage == pipeline.DROPPED:
        reason = row.drop_reason
    elif pipeline.rank(stage) >= pipeline.rank(pipeline.SIGNED):
        value, grade = signing.get("contract_value"), signing.get("signing_grade")
    note = notes.get(stage if moved_back(project.stage, stage) else None)
    if value is not None:
        errors = {}
        value = clean.amount(errors, "contract_value", value, positive=True, label="签约额")
        if errors:
            raise ValidationError(errors)
    check = pipeline.check_move(project.stage, stage, note=note, reason=reason,
                                contract_value=value if value is not None
                                else project.contract_value)
    if check.errors:
        raise ValidationError(check.errors)
    return note, reason, value, grade


def _move(project, stage, on, row, notes, signing):
    """``projects._move`` on the unsaved ``project``; returns its stage event."""
    note, reason, value, grade = _move_inputs(project, stage, row, notes, signing)
    from_stage, project.stage = project.stage, stage
    if stage == pipeline.DROPPED:
        project.drop_reason = reason
        event_note = f"{reason}（{note}）" if note else reason
    else:
        event_note = note
        if from_stage == pipeline.DROPPED:
            project.drop_reason = ""
        if pipeline.rank(stage) >= pipeline.rank(pipeline.SIGNED):
            if value is not None:
                project.contract_value = value
            if grade:
                project.signing_grade = grade
    for st, first in pipeline.first_reached_updates(project.first_reached(), stage, on).items():
        setattr(project, pipeline.FIRST_REACHED_FIELD[st], first)
    if project.last_progress_on is None or on > project.last_progress_on:
        project.last_progress_on = on
    project.version += 1
    return {"from_stage": from_stage, "stage": stage, "occurred_on": on, "note": event_note}
