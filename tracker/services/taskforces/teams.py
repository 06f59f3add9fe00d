"""Task forces (招商专班): create/edit with audit, list overview and pipeline funnel queries."""
import re
from dataclasses import dataclass, field

from peewee import JOIN, IntegrityError, fn

from ...domain import money, pipeline, text
from ...domain.errors import NotFound, ValidationError
from ...models import County, Membership, Project, TaskForce, TaskForceCounty, User
from .. import audit, dataversion, tx

# Columns an editor may change; also what the audit rows record.
EDITABLE = ("code", "name", "kind", "industry", "lead_department", "leader", "active")
KINDS = TaskForce.KINDS
CODE_MAX = 32
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
RESERVED_CODES = {"new"}  # would clash with /taskforces/new
MISSING = "专班不存在。"
# One-line texts: normalised, at most LINE_MAX or the column's width when that is smaller.
TEXTS = {"name": ("专班名称", text.NAME_MAX), "industry": ("产业方向", 64),
         "lead_department": ("牵头部门", 100), "leader": ("专班负责人", 64)}
CONFLICT = "保存时与他人的修改冲突，请刷新后重试。"


class DuplicateTaskForce(ValidationError):
    """Code or name already used by another task force (a ValidationError on that field)."""

    def __init__(self, field_name, message):
        super().__init__({field_name: message})
        self.field = field_name
        self.message = message


# --- lookups and form choices --------------------------------------------------------------

def get_task_force(code):
    """The task force with this code; NotFound when there is none."""
    team = TaskForce.get_or_none(TaskForce.code == str(code)[:CODE_MAX * 2])
    if team is None:
        raise NotFound(MISSING)
    return team


def county_choices():
    """[(id, name)] of every county and zone, for the task-force form."""
    return [(c.id, c.name) for c in County.select().order_by(County.kind, County.code)]


def member_choices(team_id=None):
    """[(id, label)] of active users, plus inactive ones already members of ``team_id``
    (kept on save)."""
    selectable = User.active == True  # noqa: E712
    if team_id is not None:
        selectable |= User.id.in_(Membership.select(Membership.user)
                                  .where(Membership.task_force == team_id))
    return [(u.id, f"{u}（{u.username} · {u.role_label}）")
            for u in User.select().where(selectable).order_by(User.role, User.username)]


def county_ids(team):
    return sorted(link.county_id for link in
                  TaskForceCounty.select(TaskForceCounty.county).where(
                      TaskForceCounty.task_force == team))


def member_ids(team):
    return sorted(m.user_id for m in
                  Membership.select(Membership.user).where(Membership.task_force == team))


def _state(team):
    data = audit.snapshot(team, EDITABLE)
    data["counties"] = county_ids(team)
    data["members"] = member_ids(team)
    return data


def _name_key(name):
    """Two task-force names are one when they differ only in case or width: names are
    stored as typed, so "专班（一）" and "专班(一)" are compared by their NFKC form (on
    every backend alike: MariaDB's unique index would refuse them, the others would not)."""
    return text.identifier(name).casefold()


def find_duplicate(code, name, exclude_id=None):
    """(field, message) when another task force already has this code or name (a name
    that differs only in case or width counts: :func:`_name_key`). Reads every task force:
    a city has a few dozen."""
    query = TaskForce.select(TaskForce.id, TaskForce.code, TaskForce.name).order_by(TaskForce.id)
    if exclude_id is not None:
        query = query.where(TaskForce.id != exclude_id)
    key = _name_key(name) if name is not None else None
    rows = list(query)
    for other in rows:
        if code is not None and other.code.casefold() == code.casefold():
            return "code", f"专班编码「{code}」已被使用（{other.name}）。"
    for other in rows:
        if key is not None and _name_key(other.name) == key:
            return "name", f"专班名称「{other.name}」已存在。"
    return None


# --- create / edit ------------------------------------------------------------------------

def _clean_code(errors, raw):
    # An identifier (URLs, imports, commands): full-width "ＮＥＷ１" is "NEW1".
    code, error = text.clean_identifier(raw, label="专班编码", max_length=10 * CODE_MAX,
                                        required=True)
    if error:
        errors["code"] = error
    elif len(code) > CODE_MAX:
        errors["code"] = f"专班编码最多 {CODE_MAX} 个字符。"
    elif not CODE_RE.match(code):
        errors["code"] = "编码只能包含字母、数字、- 和 _，并以字母或数字开头。"
    elif code.lower() in RESERVED_CODES:
        errors["code"] = f"「{code}」是保留字，请换一个编码。"
    return code


def _ids(errors, field, raw, message):
    try:
        return sorted({int(v) for v in raw or ()})
    except (TypeError, ValueError):
        errors[field] = message
        return []


def clean_data(data, *, creating):
    """Normalised and checked values of ``data`` (only the keys it has; code and name are
    required on create). Raises ValidationError with every message at once."""
    errors, values = {}, {}
    if creating or "code" in data:
        values["code"] = _clean_code(errors, data.get("code"))
    for key, (label, limit) in TEXTS.items():
        if key in data or (creating and key == "name"):
            values[key] = text.clean_into(errors, key, data.get(key), label=label,
                                          max_length=limit, required=key == "name")
    if creating or "kind" in data:
        values["kind"] = data.get("kind") or "6"
        if values["kind"] not in KINDS:
            errors["kind"] = "请选择有效的专班类别。"
    if "active" in data:
        values["active"] = bool(data["active"])
    links = {key: _ids(errors, key, data[key], "选择无效。")
             for key in ("counties", "members") if key in data}
    if errors:
        raise ValidationError(errors)
    return values, links


def _check_links(links):
    """Refuse ids of counties or users that do not exist (inside the transaction)."""
    for key, model, label in (("counties", County, "区县"), ("members", User, "用户")):
        wanted = links.get(key) or []
        found = {row.id for row in model.select(model.id).where(model.id.in_(wanted))}
        missing = [str(i) for i in wanted if i not in found]
        if missing:
            raise ValidationError({key: f"所选{label}不存在：{'、'.join(missing)}。"})


def _write(user, team_id, values, links):
    """Inside the transaction: lock (or insert) the row, check, write, audit."""
    if team_id is None:
        dup = find_duplicate(values["code"], values["name"])
        if dup:
            raise DuplicateTaskForce(*dup)
        _check_links(links)
        team, before = TaskForce.create(**values), None
    else:
        team = tx.lock(TaskForce, TaskForce.id == int(team_id), missing=MISSING)
        dup = find_duplicate(values.get("code", team.code), values.get("name", team.name),
                             exclude_id=team.id)
        if dup:
            raise DuplicateTaskForce(*dup)
        _check_links(links)
        before = _state(team)
        changed = [key for key, value in values.items() if getattr(team, key) != value]
        for key in changed:
            setattr(team, key, values[key])
        if changed:
            team.save(only=[getattr(TaskForce, key) for key in changed])
    for key, model, column in (("counties", TaskForceCounty, "county"),
                               ("members", Membership, "user")):
        if key in links:
            _sync_links(model, column, team, links[key])
    old, new = audit.changed(before or {}, _state(team))
    dataversion.changed()   # name, code, kind, active: rows of the progress report
    if before is None:
        audit.record(user, "task_force", team.id, "create", None, _state(team))
    elif new:
        audit.record(user, "task_force", team.id, "update", old, new)
    return team


def save_task_force(user, data, team_id=None):
    """Create (``team_id`` None) or update a task force with its counties and members.

    ``data`` holds EDITABLE keys plus ``counties`` and ``members`` (lists of ids); on
    update only the keys given are changed. One transaction that locks the task-force row
    first (a create is guarded by the unique code and name); only changed columns are
    written; one audit row (create, or update with the changed keys). Raises
    DuplicateTaskForce (a ValidationError) when the code or name is taken, also when a
    concurrent save took it first.
    """
    values, links = clean_data(data, creating=team_id is None)
    try:
        with tx.write():
            return _write(user, team_id, values, links)
    except IntegrityError as exc:
        # Lost a race with a concurrent save: report it like the check inside the lock.
        dup = find_duplicate(values.get("code"), values.get("name"), exclude_id=team_id)
        if dup:
            raise DuplicateTaskForce(*dup) from exc
        raise ValidationError({"__all__": CONFLICT}) from exc


def _sync_links(model, column, team, wanted):
    target = getattr(model, column)
    current = {getattr(row, f"{column}_id") for row in
               model.select(target).where(model.task_force == team)}
    remove = current - set(wanted)
    if remove:
        model.delete().where((model.task_force == team) & target.in_(sorted(remove))).execute()
    add = [w for w in wanted if w not in current]
    if add:
        model.insert_many([{"task_force": team.id, column: w} for w in add]).execute()


@dataclass
class TaskForceRow:
    team: TaskForce
    by_stage: dict = field(default_factory=dict)  # stage -> count

    @property
    def total(self):
        return sum(self.by_stage.values())

    @property
    def open_count(self):
        return sum(n for stage, n in self.by_stage.items() if stage != pipeline.DROPPED)


def overview(include_inactive=True):
    """Every task force with its project counts by current stage (one grouped query)."""
    teams = TaskForce.select().order_by(TaskForce.kind, TaskForce.id)
    if not include_inactive:
        teams = teams.where(TaskForce.active == True)  # noqa: E712
    rows = {team.id: TaskForceRow(team) for team in teams}
    counts = (Project.select(Project.task_force, Project.stage, fn.COUNT(Project.id).alias("n"))
              .group_by(Project.task_force, Project.stage).tuples())
    for team_id, stage, n in counts:
        if team_id in rows:
            rows[team_id].by_stage[stage] = int(n)
    return list(rows.values())


@dataclass
class FunnelStep:
    stage: str
    count: int          # projects currently at this stage
    planned: object     # Decimal 万元, planned investment of those projects
    reached: int        # projects that ever reached (or skipped past) this stage
    share: float = 0.0  # bar width 0..100 relative to the widest step

    @property
    def label(self):
        return pipeline.label(self.stage)


def funnel(team):
    """Pipeline funnel of one task force: per stage, current count and planned
    investment, plus how many projects ever reached the stage (first-reached dates)."""
    reached_cols = [fn.COUNT(getattr(Project, pipeline.FIRST_REACHED_FIELD[s]))
                    for s in pipeline.MILESTONE_STAGES]
    current, reached = {}, [0] * len(reached_cols)
    for stage, n, planned, *firsts in (   # one pass over the team's projects
            Project.select(Project.stage, fn.COUNT(Project.id),
                           fn.SUM(Project.planned_investment), *reached_cols)
            .where(Project.task_force == team).group_by(Project.stage).tuples()):
        current[stage] = (int(n), money.to_decimal(planned))
        reached = [a + int(b or 0) for a, b in zip(reached, firsts)]
    total = sum(n for n, _planned in current.values())
    reached_by_stage = dict(zip(pipeline.MILESTONE_STAGES, reached))
    reached_by_stage[pipeline.RESERVE] = total
    steps = []
    for stage in pipeline.STAGES:
        count, planned = current.get(stage, (0, money.to_decimal(0)))
        steps.append(FunnelStep(stage, count, planned,
                                reached_by_stage.get(stage, count)))
    widest = max([s.reached for s in steps] + [s.count for s in steps] + [1])
    for step in steps:
        step.share = round(100.0 * max(step.reached, step.count) / widest, 1)
    return steps


def members(team):
    """Users of a task force, leads first."""
    order = {"lead": 0, "member": 1, "bureau": 2, "admin": 3}
    users = list(User.select().join(Membership).where(Membership.task_force == team))
    return sorted(users, key=lambda u: (order.get(u.role, 9), u.username))


def counties(team):
    return list(County.select().join(TaskForceCounty)
                .where(TaskForceCounty.task_force == team).order_by(County.code))


def recent_projects(team, limit=10):
    """Projects with the latest logged progress first."""
    return list(Project.select(Project, County).join(County, JOIN.LEFT_OUTER)
                .where(Project.task_force == team)
                .order_by(Project.last_progress_on.desc(), Project.id.desc()).limit(limit))
