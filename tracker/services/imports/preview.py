"""Excel import, preview (issue "Excel in and out"; docs/design.md, The write path).

:func:`preview` judges every data row of a parsed file before anything is written: ``new``,
``update`` (the same project is in the ledger and some value differs), ``unchanged`` (it is
in the ledger as it is), ``duplicate`` (an earlier row of the file is the same project) or
``error`` (each message with its row, column and title). Rows are checked with the same
normaliser as a form (services.ledger.inputs) and the same look-alike key
(domain.text.duplicate_key). services.imports.commit writes a preview in one transaction.

A clerk's own 台账 (issue 18) is read by the rules of domain.import_rules: amounts in the
unit their header names, converted to 万元 (each row lists every value it will write, an
amount with the cell as typed beside it), the clerk's stage words, month-only dates (the
first day of the month, said beside the date), 责任人 by user name, display name or the name
before its bracket among the active users (those the project form offers); when that names
several, the one member of the row's task force is meant, otherwise the cell is an error
listing them. 合计/小计/总计 rows, note rows (注：, 说明, 填报人…) and blank rows are
listed as skipped, never errors; the columns that name no field are listed as not imported,
with their values per row.
"""
from dataclasses import dataclass, field

from ... import clock
from ...domain import import_rules as rules
from ...domain import pipeline, text
from ...domain.errors import ValidationError
from ...models import Project
from ..ledger import inputs as clean
from . import checks, mapping, shown
from .parse import FileRefused, require_columns
from .lookups import Lookups, fold as _fold

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
    shown: list = field(default_factory=list)      # [(label, value as written, source)]
    ignored: list = field(default_factory=list)    # [(heading, value)] of columns not imported
    sources: dict = field(default_factory=dict)    # field -> the cell as typed, when it differs
    inactive_owner: object = None  # a 责任人 whose account is deactivated (see _settle)
    warnings: list = field(default_factory=list)   # plausibility warnings (checks.warn)
    stage: str = None
    dates: dict = field(default_factory=dict)      # the stage dates read

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def timeline(self):
        """The stage events the row writes, as shown: "签约 2026-03-01"."""
        return [f"{pipeline.label(stage)} {day.isoformat()}" for stage, day in self.events]


@dataclass
class Preview:
    rows: list
    file_name: str = ""
    sheet: str = ""
    ignored: list = field(default_factory=list)
    skipped: list = field(default_factory=list)    # [(first row, last row, why)]
    columns: list = field(default_factory=list)    # [(letter, heading, imported as, how)]
    blocked: list = field(default_factory=list)    # columns awaiting the person's mapping

    @property
    def warnings(self):
        """[(row number, message)] the person acknowledges before 确认导入."""
        return [(r.number, w) for r in self.rows if r.status in checks.WRITTEN
                for w in r.warnings]

    def count(self, status):
        return sum(1 for r in self.rows if r.status == status)

    @property
    def counts(self):
        return {s: self.count(s) for s in STATUS_LABELS}

    @property
    def errors(self):
        return [(r.number, *e) for r in self.rows for e in r.errors]


def _title(columns, key):
    """The column's heading as the file gives it (the export's title otherwise)."""
    return getattr(columns.get(key), "heading", "") or rules.TITLES.get(key, key)


def _error(row, columns, key, message):
    row.errors.append((str(columns.get(key, "")), _title(columns, key), message))


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
    if _given(given) not in ("", team.name):
        row.sources["task_force"] = _given(given)
    return team


def _given(value):
    return "" if value is None else str(value).strip()


def _reference(row, columns, data, key, index, what):
    given = data.get(key)
    if given in (None, ""):
        return None
    found = index.get(_fold(given))
    if found is None:
        _error(row, columns, key, f"{what}「{given}」不存在。")
    elif _given(given) != found.name:
        row.sources[key] = _given(given)
    return found


def _owner(row, columns, data, lookups):
    """The user a 责任人 cell names (rules.People): among several, the one in the row's task
    force; still several, or none, is an error of the cell naming the candidates."""
    given = data.get("owner")
    if given in (None, "") or (isinstance(given, str) and not given.strip()):
        return None
    found = lookups.people.find(given)
    if len(found) > 1 and row.team is not None:
        members = lookups.members.get(row.team.id, set())
        ours = [u for u in found if u.id in members]
        found = ours if len(ours) == 1 else found
    if len(found) == 1:
        if _given(given) != str(found[0]):
            row.sources["owner"] = _given(given)
        return found[0]
    if found:
        names = "、".join(rules.person_label(u) for u in found)
        _error(row, columns, "owner", f"责任人「{_given(given)}」对应多个用户：{names}。"
                                      "请填写其中一人的用户名或完整姓名。")
    elif len(lookups.inactive.find(given)) == 1:
        # kept only where the ledger already has it (an exported row read back): _settle
        row.inactive_owner = lookups.inactive.find(given)[0]
        return row.inactive_owner
    else:
        _error(row, columns, "owner", f"责任人「{_given(given)}」不存在。可填用户名或姓名："
                                      f"{lookups.names(row.team)}。")
    return None


def _choice(row, columns, data, key, parse):
    value, error = parse(data.get(key))
    if error:
        _error(row, columns, key, error)
    return value


def _date(row, columns, data, key, *, event):
    """A date cell (rules.read_date) within the form's range; its source noted."""
    raw = data.get(key)
    if raw is None or raw == "":
        return None     # an empty cell (most of them): nothing to read, nothing to note
    read = rules.read_date(raw)
    value, error = read.value, read.error
    if error is None and value is not None:
        errors = {}
        value = clean.day(errors, key, value, required=False, label=rules.LABELS[key],
                          event=event)
        error = errors.get(key)
        if error and read.month_only:
            error = error.rstrip("。") + f"（「{_given(raw)}」{rules.MONTH_NOTE}）。"
    if error:
        _error(row, columns, key, error)
        return None
    source = rules.date_source(raw, read)
    if value is not None and source and source != value.isoformat():
        row.sources[key] = source
    return value


def _amount(row, columns, data, key):
    read = rules.read_amount(data.get(key), getattr(columns.get(key), "unit", None))
    if read.source:
        row.sources[key] = read.source
    return read.value


def _ledger_fields(row, data, columns, lookups):
    raw = {k: data.get(k) for k in TEXT_KEYS if k in columns}
    for key in TEXT_KEYS:
        if isinstance(raw.get(key), (int, float)):
            raw[key] = str(raw[key])
    if "county" in columns:
        raw["county"] = _reference(row, columns, data, "county", lookups.counties, "区县/开发区")
    if "owner" in columns:
        raw["owner"] = _owner(row, columns, data, lookups)
    if "expected_sign_date" in columns:
        raw["expected_sign_date"] = _date(row, columns, data, "expected_sign_date", event=False)
    if "capital_type" in columns:
        raw["capital_type"] = _choice(row, columns, data, "capital_type", rules.parse_capital_type)
    if "signing_grade" in columns:
        raw["signing_grade"] = _choice(row, columns, data, "signing_grade",
                                       rules.parse_signing_grade)
    if "tags" in columns:
        raw["tags"] = rules.parse_tags(data.get("tags"))
    raw["planned_investment"] = _amount(row, columns, data, "planned_investment")
    if "contract_value" in columns:
        raw["contract_value"] = _amount(row, columns, data, "contract_value")
    errors = {}
    cleaned = clean.clean_fields(errors, dict(raw, name=data.get("name")))
    for key, message in errors.items():
        _error(row, columns, key, message)
    return cleaned


def _dates(row, data, columns):
    return {key: _date(row, columns, data, key, event=True)
            for key in rules.DATE_KEYS if key in columns}


def _judge(row, data, columns, lookups, shape=((), ())):
    """Fill ``row`` from one line of the file: cleaned fields, stage events, errors, and
    what the preview shows of it (``shape``: shown.shape)."""
    for key, message in data.pop("__errors__", {}).items():
        if not rules.is_extra(key):   # a formula in 序号 or 备注 is never imported
            _error(row, columns, key, message)
    row.team = _team(row, data, columns, lookups)
    row.fields = _ledger_fields(row, data, columns, lookups)
    row.name = row.fields.get("name") or str(data.get("name") or "")
    stage = _choice(row, columns, data, "stage", rules.parse_stage)
    if stage and _given(data.get("stage")) not in ("", pipeline.label(stage)):
        row.sources["stage"] = _given(data.get("stage"))
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
    row.stage, row.dates = stage, dates
    shown.show(row, data, shape, stage, dates)
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


def _settle(rows, columns):
    """A deactivated 责任人 stays only on a row the ledger already has with that owner (an
    exported file read back); anywhere else the form would not offer them: an error."""
    for row in rows:
        user = row.inactive_owner
        if user is None or (row.status in (UPDATE, UNCHANGED)
                            and row.duplicate_of.owner_id == user.id):
            continue
        _error(row, columns, "owner", f"责任人「{user}」的账号已停用，请改填在职人员。")
        row.status = ERROR


def preview(user, parsed, *, task_force=None, file_name=""):
    """Judge every row of ``parsed`` (import_parse.ParsedFile) for ``user`` (None: a
    command, every task force). ``task_force`` is a code every row goes into. Writes
    nothing. Raises LookupError for an unknown ``task_force``."""
    lookups = Lookups(user, task_force)
    parsed, left = mapping.settle(user, parsed, lookups.teams)
    if left:
        return _blocked(parsed, left, file_name)
    try:
        require_columns(parsed, not task_force, twins=user is None)
    except FileRefused as exc:
        raise ValidationError({"file": str(exc)}) from None
    rows, skipped, previous = [], [], None
    # each column with the file's heading and an amount's unit (kept in parsed.headings too,
    # so a ParsedFile stored and read back as plain data keeps its units)
    columns = {key: rules.Column(str(letter), *parsed.headings.get(key, ("", None)))
               for key, letter in parsed.columns.items()}
    shape = shown.shape(columns, parsed.rows)
    for number, data, cell_errors in parsed.rows:
        if previous is not None and number > previous + 1:
            skipped.append((previous + 1, number - 1, "空行，已跳过"))
        previous = number
        why = rules.skip_reason(list(data.values()), name=data.get("name"),
                                seq=data.get(rules.SEQ_KEY))
        if why:
            skipped.append((number, number, why))
            continue
        row = Row(number)
        _judge(row, dict(data, __errors__=cell_errors), columns, lookups, shape)
        rows.append(row)
    _classify(rows)
    _settle(rows, columns)
    checks.warn(rows)
    checks.closed_periods(user, rows)
    return Preview(rows, file_name=file_name, sheet=parsed.sheet, ignored=parsed.ignored,
                   skipped=skipped, columns=shown.column_list(parsed))


def _blocked(parsed, left, file_name):
    """The preview of a file whose columns ``left`` await the person's mapping: no row is
    judged, and each such column is an error of the header row (nothing can be committed)."""
    row = Row(getattr(parsed, "header_row", 0) or 1, status=ERROR)
    row.errors = [(c.letter, c.heading, "请先在“列的对应”中选择此列导入为哪个字段，或选择不导入。")
                  for c in left]
    return Preview([row], file_name=file_name, sheet=parsed.sheet, ignored=parsed.ignored,
                   blocked=left)
