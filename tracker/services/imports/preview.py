"""Excel import, preview (issue "Excel in and out"; docs/design.md, The write path).

:func:`preview` judges every data row of a parsed file before anything is written: ``new``,
``update`` (the same project is in the ledger and some value differs), ``unchanged`` (it is
in the ledger as it is), ``duplicate`` (an earlier row of the file is the same project) or
``error`` (each message with its row, column and title). Rows are checked with the same
normaliser as a form (services.ledger.inputs) and the same look-alike key
(domain.text.duplicate_key). services.imports.commit writes a preview in one transaction.
"""
from dataclasses import dataclass, field

from ... import clock
from ...domain import import_rules as rules
from ...domain import pipeline, text
from ...models import County, Project, TaskForce, User
from ..ledger import inputs as clean

NEW, UPDATE, UNCHANGED, DUPLICATE, ERROR = "new", "update", "unchanged", "duplicate", "error"
STATUS_LABELS = {NEW: "新增", UPDATE: "重复（有变化）", UNCHANGED: "重复（无变化）",
                 DUPLICATE: "文件内重复", ERROR: "错误"}
# Ledger fields compared with an existing project (besides the stage).
COMPARED = ("county", "owner", "expected_sign_date", "investor_region", "capital_type", "industry", "tags",
            "planned_investment", "contract_value", "signing_grade", "contact", "next_step",
            "problems")
TEXT_KEYS = ("name", "investor", "investor_region", "industry", "contact", "next_step",
             "problems")


@dataclass
class Row:
    number: int
    status: str = NEW
    name: str = ""
    team: object = None
    errors: list = field(default_factory=list)     # [(column letter, title, message)]
    fields: dict = field(default_factory=dict)     # cleaned ledger fields
    events: list = field(default_factory=list)     # [(stage, date)]
    drop_reason: str = ""
    key: str = ""
    duplicate_of: object = None    # a row number (file) or a Project (ledger)
    changes: dict = field(default_factory=dict)    # field -> (ledger value, file value)

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]


@dataclass
class Preview:
    rows: list
    file_name: str = ""
    sheet: str = ""
    ignored: list = field(default_factory=list)

    def count(self, status):
        return sum(1 for r in self.rows if r.status == status)

    @property
    def counts(self):
        return {s: self.count(s) for s in STATUS_LABELS}

    @property
    def errors(self):
        return [(r.number, *e) for r in self.rows for e in r.errors]


class _Lookups:
    """Task forces and counties by code and by name; the teams ``user`` may import into."""

    def __init__(self, user, forced_code):
        teams = list(TaskForce.select())
        self.teams = _index(teams)
        self.counties = _index(County.select())
        self.users = {}
        for user_row in User.select().order_by(User.id):
            for name in (user_row.username, user_row.display_name):
                self.users.setdefault(_fold(name), user_row)
        self.allowed = None if user is None or user.sees_all else user.task_force_ids()
        self.forced = self.teams.get(_fold(forced_code)) if forced_code else None
        if forced_code and self.forced is None:
            raise LookupError(f"专班代码「{forced_code}」不存在。")


def _fold(value):
    return text.normalize(value).casefold() if value is not None else ""


def _index(rows):
    out = {}
    for row in rows:
        out.setdefault(_fold(row.code), row)
        out.setdefault(_fold(row.name), row)
    return out


def _error(row, columns, key, message):
    row.errors.append((columns.get(key, ""), rules.TITLES.get(key, key), message))


def _team(row, data, columns, lookups):
    given = data.get("task_force")
    if lookups.forced is not None:
        team = lookups.forced
        if given not in (None, "") and lookups.teams.get(_fold(given)) is not team:
            _error(row, columns, "task_force", f"所属专班「{given}」与指定的专班「{team.code}」不符。")
            return None
    elif given in (None, ""):
        _error(row, columns, "task_force", "请填写所属专班（专班名称或代码）。")
        return None
    else:
        team = lookups.teams.get(_fold(given))
        if team is None:
            _error(row, columns, "task_force", f"专班「{given}」不存在（填专班名称或代码）。")
            return None
    if lookups.allowed is not None and team.id not in lookups.allowed:
        _error(row, columns, "task_force", f"无权导入到专班「{team.name}」（只能导入您所在的专班）。")
        return None
    if not team.active:
        _error(row, columns, "task_force", f"专班「{team.name}」已停用。")
        return None
    return team


def _reference(row, columns, data, key, index, what):
    given = data.get(key)
    if given in (None, ""):
        return None
    found = index.get(_fold(given))
    if found is None:
        _error(row, columns, key, f"{what}「{given}」不存在。")
    return found


def _choice(row, columns, data, key, parse):
    value, error = parse(data.get(key))
    if error:
        _error(row, columns, key, error)
    return value


def _ledger_fields(row, data, columns, lookups):
    raw = {k: data.get(k) for k in TEXT_KEYS if k in columns}
    for key in TEXT_KEYS:
        if isinstance(raw.get(key), (int, float)):
            raw[key] = str(raw[key])
    if "county" in columns:
        raw["county"] = _reference(row, columns, data, "county", lookups.counties, "区县/开发区")
    if "owner" in columns:
        raw["owner"] = _reference(row, columns, data, "owner", lookups.users, "责任人")
    if "expected_sign_date" in columns:
        raw["expected_sign_date"] = _choice(row, columns, data, "expected_sign_date",
                                            rules.parse_date)
    if "capital_type" in columns:
        raw["capital_type"] = _choice(row, columns, data, "capital_type", rules.parse_capital_type)
    if "signing_grade" in columns:
        raw["signing_grade"] = _choice(row, columns, data, "signing_grade",
                                       rules.parse_signing_grade)
    if "tags" in columns:
        raw["tags"] = rules.parse_tags(data.get("tags"))
    raw["planned_investment"] = data.get("planned_investment")
    if "contract_value" in columns:
        raw["contract_value"] = data.get("contract_value")
    errors = {}
    cleaned = clean.clean_fields(errors, dict(raw, name=data.get("name")))
    for key, message in errors.items():
        _error(row, columns, key, message)
    return cleaned


def _dates(row, data, columns):
    dates = {}
    for key in rules.DATE_KEYS:
        if key not in columns:
            continue
        value, error = rules.parse_date(data.get(key))
        if error is None and value is not None:
            errors = {}
            value = clean.day(errors, key, value, label=rules.TITLES[key])
            error = errors.get(key)
        if error:
            _error(row, columns, key, error)
        dates[key] = value
    return dates


def _judge(row, data, columns, lookups):
    """Fill ``row`` from one line of the file: cleaned fields, stage events, errors."""
    for key, message in data.pop("__errors__", {}).items():
        _error(row, columns, key, message)
    row.team = _team(row, data, columns, lookups)
    row.fields = _ledger_fields(row, data, columns, lookups)
    row.name = row.fields.get("name") or str(data.get("name") or "")
    stage = _choice(row, columns, data, "stage", rules.parse_stage)
    dates = _dates(row, data, columns)
    drop_errors = {}
    row.drop_reason = clean.clean_text(drop_errors, "drop_reason", data.get("drop_reason"),
                                       "退库原因")
    for key, message in drop_errors.items():
        _error(row, columns, key, message)
    if stage == pipeline.DROPPED and not row.drop_reason:
        _error(row, columns, "drop_reason", "当前阶段为退库，请填写退库原因。")
    if stage is not None and not row.errors:
        by_stage = {rules.STAGE_OF_DATE[k]: d for k, d in dates.items() if k in rules.STAGE_OF_DATE}
        row.events, problem = rules.stage_plan(stage, by_stage, dates.get("last_progress_on"),
                                               clock.today())
        if problem:
            _error(row, columns, *problem)
        elif pipeline.rank(stage) is not None and pipeline.rank(stage) >= pipeline.rank(
                pipeline.SIGNED) and not row.fields.get("contract_value"):
            _error(row, columns, "contract_value", "签约及之后的阶段必须填写签约额（万元）。")
    if row.team is not None and row.fields.get("name"):
        row.key = text.duplicate_key(row.fields["name"], row.fields.get("investor", ""))
    if row.errors:
        row.status = ERROR


def _existing(rows):
    """Projects of the ledger sharing a key with a row: {(team id, key): Project}."""
    pairs = {(r.team.id, r.key) for r in rows if r.key}
    found = {}
    teams = sorted({t for t, _ in pairs})
    for start in range(0, len(teams), 500):
        query = Project.select().where(Project.task_force.in_(teams[start:start + 500]))
        for project in query:
            pair = (project.task_force_id, project.dedupe_key)
            if pair in pairs:
                found[pair] = project
    return found


def _compare(row, project):
    changes = {}
    for key in COMPARED:
        if key not in row.fields:
            continue
        reference = key in ("county", "owner")
        new, old = row.fields[key], getattr(project, key + "_id" if reference else key)
        if reference:
            new = new.id if new is not None else None
        if (old or None) != (new or None):
            changes[key] = (old, new)
    stage = row.events[-1][0] if row.events else project.stage
    if stage != project.stage:
        changes["stage"] = (project.stage, stage)
    return changes


def _classify(rows):
    seen = {}
    ledger = _existing(rows)
    for row in rows:
        if row.status == ERROR or not row.key:
            continue
        pair = (row.team.id, row.key)
        if pair in seen:
            row.status, row.duplicate_of = DUPLICATE, seen[pair]
            continue
        seen[pair] = row.number
        if pair in ledger:
            row.duplicate_of = ledger[pair]
            row.changes = _compare(row, ledger[pair])
            row.status = UPDATE if row.changes else UNCHANGED


def preview(user, parsed, *, task_force=None, file_name=""):
    """Judge every row of ``parsed`` (import_parse.ParsedFile) for ``user`` (None: a
    command, every task force). ``task_force`` is a code every row goes into. Writes
    nothing. Raises LookupError for an unknown ``task_force``."""
    lookups = _Lookups(user, task_force)
    rows = []
    for number, data, cell_errors in parsed.rows:
        row = Row(number)
        _judge(row, dict(data, __errors__=cell_errors), parsed.columns, lookups)
        rows.append(row)
    _classify(rows)
    return Preview(rows, file_name=file_name, sheet=parsed.sheet, ignored=parsed.ignored)
