"""Checking what a person typed for a follow-up log entry, before anything is written
(the same rules as the ledger's inputs: text as typed, bounded; dates not after today)."""
from ...domain import activities as rules
from ...domain import text
from ...models import Project, TaskForce, User
from ..ledger import inputs as ledger_inputs


def _ids(errors, field, values, label, limit):
    if values in (None, ""):
        return []
    if isinstance(values, (str, int)):
        values = str(values).replace("，", ",").split(",")
    out = []
    for value in values:
        value = getattr(value, "id", value)
        if value in (None, ""):
            continue
        try:
            number = int(value)
            if not 0 < number < 2**31:
                raise ValueError
        except (TypeError, ValueError):
            errors[field] = f"{label}无效。"
            return []
        if number not in out:
            out.append(number)
    if len(out) > limit:
        errors[field] = f"{label}最多 {limit} 个。"
    return out


def _tags(errors, values):
    if values in (None, ""):
        return ""
    items = values.replace("，", ",").split(",") if isinstance(values, str) else list(values)
    seen = []
    for item in items:
        item = text.identifier(item or "")
        if item and item not in Project.TAGS:
            errors["counterpart_tags"] = f"对方标签「{item}」不在可选范围内。"
        elif item and item not in seen:
            seen.append(item)
    return ",".join(seen)


def _line(errors, field, value, label, max_length, required=False, multiline=False):
    return text.clean_into(errors, field, value, label=label, max_length=max_length,
                           required=required, multiline=multiline)


def clean(errors, values, regions):
    """The activity's columns (task force and dates resolved), its project ids and its
    participant ids from ``values`` (a form's or a command's); messages in ``errors``."""
    out = {}
    team_ids = _ids(errors, "task_force", values.get("task_force"), "专班", 1)
    team = TaskForce.get_or_none(TaskForce.id == team_ids[0]) if team_ids else None
    if team is None:
        errors.setdefault("task_force", "请选择专班。")
    out["task_force"] = team
    kind = values.get("kind") or ""
    if kind not in rules.KINDS:
        errors["kind"] = "请选择跟进方式。"
    out["kind"] = kind
    out["occurred_on"] = ledger_inputs.day(errors, "occurred_on", values.get("occurred_on"), label="日期")
    out["summary"] = _line(errors, "summary", values.get("summary"), "跟进内容", rules.SUMMARY_MAX,
                           required=True, multiline=True)
    out["counterpart"] = _line(errors, "counterpart", values.get("counterpart"), "对接企业",
                               rules.COUNTERPART_MAX)
    out["counterpart_tags"] = _tags(errors, values.get("counterpart_tags"))
    region = values.get("region") or ""
    if region and region not in regions:
        errors["region"] = "目标区域不在可选范围内。"
    out["region"] = region
    out["place"] = _line(errors, "place", values.get("place"), "地点", rules.PLACE_MAX)
    out["leader_led"] = bool(values.get("leader_led"))
    out["leader_title"] = _line(errors, "leader_title", values.get("leader_title"), "带队市领导",
                                rules.LEADER_MAX)
    if out["leader_led"] and not out["leader_title"]:
        errors["leader_title"] = "市领导带队时请填写领导职务。"
    out["participants_text"] = _line(errors, "participants_text", values.get("participants_text"),
                                     "其他参加人员", rules.PARTICIPANTS_MAX)
    outcome = values.get("outcome") or "advance"
    if outcome not in rules.OUTCOMES:
        errors["outcome"] = "请选择成效。"
    out["outcome"] = outcome
    out["next_step"] = _line(errors, "next_step", values.get("next_step"), "下一步", rules.NEXT_STEP_MAX,
                             multiline=True)
    out["next_step_on"] = ledger_inputs.day(errors, "next_step_on", values.get("next_step_on"),
                                            required=False, label="下一步日期", event=False)
    projects = _ids(errors, "projects", values.get("projects"), "涉及项目", rules.PROJECTS_MAX)
    people = _ids(errors, "participants", values.get("participants"), "参加人员", 50)
    return out, projects, people


def check_links(errors, team, projects, people):
    """Projects of the activity's task force; participants who are active users."""
    if team is None:
        return
    if any(p.task_force_id != team.id for p in projects):
        errors["projects"] = "涉及项目必须是该专班的项目。"
    found = {u.id for u in User.select(User.id).where(User.id.in_(people or [0]) & User.active)}
    if set(people) - found:
        errors["participants"] = "参加人员不存在或已停用。"
