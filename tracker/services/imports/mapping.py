"""The import's column-mapping step (issue 18): every column of a sheet is imported as a field
or set to 不导入 by the person before the preview.

Automatic recognition (domain.import_rules.header_field) pre-selects a field for every column
it recognises; a column it does not (or a second column naming a field already taken) needs
the person's decision (domain.import_checks.needs_decision) and blocks the preview until it
has one. The decisions are remembered per user and task force (``import_mapping``) and applied
to the next file with the same headings: :func:`settle` applies them to a parsed file
(header -> field, unit), so the preview, the commit and a background commit of the same
upload read it alike. A command (no user) keeps automatic recognition.
"""
import json
from dataclasses import dataclass, field

from openpyxl.utils import column_index_from_string
from peewee import IntegrityError

from ...domain import import_checks as checks
from ...domain import import_rules as rules
from ...domain.errors import NotFound, ValidationError
from ...models import ImportMapping
from ...models.base import utcnow
from .. import tx
from .lookups import fold, teams_index
from .parse import ParsedFile

SAMPLES = 3
SCOPE_ROWS = 200   # rows read for the task force a file is for
UNDECIDED = "?"    # the select's "请选择" value
FIELD_CHOICES = [(key, rules.LABELS[key]) for _, key in rules.COLUMNS]
FIELDS = {key for key, _ in FIELD_CHOICES}
UNIT_CHOICES = checks.UNIT_CHOICES
AMOUNT_KEYS = rules.AMOUNT_KEYS


@dataclass
class MappedColumn:
    """One column of the sheet on the mapping page."""
    letter: str
    heading: str
    auto: str = None        # the field automatic recognition gives, or None
    unit: str = None        # an amount's unit (the header's, or the one decided)
    key: str = None         # the field decided or pre-selected; "" 不导入; None undecided
    note: str = ""          # why the column is doubtful or not imported
    needs: bool = False     # the person must decide (no automatic field)
    samples: list = field(default_factory=list)


def _position(letter):
    return column_index_from_string(letter) if letter else 0


def _extras(parsed):
    first = parsed.rows[0][1] if parsed.rows else {}
    return [(rules.extra_letter(k), rules.extra_title(k), k) for k in first
            if isinstance(k, str) and rules.is_extra(k) and k != rules.SEQ_KEY]


def _samples(parsed, data_key):
    out = []
    for _, data, _ in parsed.rows:
        value = data.get(data_key)
        if value not in (None, ""):
            out.append(str(value)[:40])
            if len(out) == SAMPLES:
                break
    return out


def _column(parsed, letter, heading, data_key, key):
    """A MappedColumn of a field column (``key``) or an extra one (``key`` None)."""
    samples = _samples(parsed, data_key)
    found = rules.header_field(heading) if key is None else None
    taken = found is not None and found.key in parsed.columns
    on_purpose = key is None and rules.ignored_reason(heading) is not None
    column = MappedColumn(letter, heading, auto=key, samples=samples,
                          unit=parsed.headings.get(key, ("", None))[1] if key else None)
    column.needs = checks.needs_decision(key, taken, bool(heading or samples), on_purpose)
    if key is not None:
        column.key = key
        if key in rules.AMOUNT_KEYS and column.unit is None:
            column.note = "列名未注明单位，默认按万元，请核对"
    elif taken:
        other = parsed.headings.get(found.key, ("", None))[0]
        column.note = (f"与 {parsed.columns[found.key]} 列「{other}」同为"
                       f"{rules.LABELS[found.key]}")
        column.unit = found.unit if found.key in rules.AMOUNT_KEYS else None
    elif on_purpose:
        column.key, column.note = checks.NOT_IMPORTED, rules.ignored_reason(heading)
    elif not column.needs:
        column.key, column.note = checks.NOT_IMPORTED, "空列"
    else:
        column.note, column.unit = "未识别的列名", checks.heading_unit(heading)
    return column


def columns(parsed):
    """Every column of ``parsed`` (but 序号) as automatic recognition reads it, in order."""
    out = [_column(parsed, str(letter), parsed.headings.get(key, ("", None))[0]
                   or getattr(letter, "heading", ""), key, key)
           for key, letter in parsed.columns.items()]
    out += [_column(parsed, letter, title, data_key, None)
            for letter, title, data_key in _extras(parsed)]
    return sorted(out, key=lambda c: _position(c.letter))


def signature(cols):
    return checks.signature([f"{c.letter}:{c.heading}" for c in cols])


def scope(user, parsed, teams):
    """The task force a file is for: the one its 所属专班 cells name, else the person's only
    one; 0 when that is several or none."""
    if "task_force" in parsed.columns:
        named = {teams.get(fold(data.get("task_force")))
                 for _, data, _ in parsed.rows[:SCOPE_ROWS] if data.get("task_force")}
        if len(named) == 1 and None not in named:
            return named.pop().id
    own = user.task_force_ids()
    return next(iter(own)) if len(own) == 1 else 0


def remembered(user, team, sig):
    """The decisions ``{letter: (key, unit)}`` remembered for these headings, or {}."""
    found = ImportMapping.get_or_none(ImportMapping.user == user.id, ImportMapping.team == team,
                                      ImportMapping.signature == sig)
    if found is None:
        return {}
    return {letter: tuple(pair) for letter, pair in json.loads(found.decisions).items()}


def decide(cols, decisions):
    """``cols`` with the remembered (or submitted) ``decisions`` applied."""
    for column in cols:
        key, unit = decisions.get(column.letter, (None, None))
        if key == checks.NOT_IMPORTED or key in FIELDS:
            column.key = key
            column.unit = unit if key in rules.AMOUNT_KEYS else None
    return cols


def undecided(cols):
    return [c for c in cols if c.needs and c.key is None]


def _decisions(cols):
    return {c.letter: (c.key, c.unit if c.key in rules.AMOUNT_KEYS else None) for c in cols}


def apply(parsed, cols):
    """``parsed`` read with the columns' decisions: a field's values under its key (an
    amount in its unit), a column not imported under its extra key."""
    rename, fields, headings, ignored = {}, {}, {}, []
    for c in cols:
        current = c.auto if c.auto else rules.extra_key(c.letter, c.heading)
        target = c.key if c.key else rules.extra_key(c.letter, c.heading)
        if current != target:
            rename[current] = target
        if c.key:
            fields[c.key] = rules.Column(c.letter, c.heading, c.unit)
            headings[c.key] = (c.heading, c.unit)
        elif c.heading and not rules.is_ignored(c.heading):
            ignored.append(c.heading)
    rows = parsed.rows if not rename else [
        (n, {rename.get(k, k): v for k, v in data.items()},
         {rename.get(k, k): e for k, e in errors.items()}) for n, data, errors in parsed.rows]
    return ParsedFile(parsed.sheet, fields, rows, ignored, headings,
                      header_row=getattr(parsed, "header_row", 0))


def settle(user, parsed, teams):
    """``(parsed as the person mapped it, the columns still undecided)``. Without a user
    (a command) the file is read as automatic recognition reads it."""
    if user is None:
        return parsed, []
    cols = columns(parsed)
    decisions = remembered(user, scope(user, parsed, teams), signature(cols))
    left = undecided(decide(cols, decisions))
    return (apply(parsed, cols) if decisions and not left else parsed), left


def save(user, parsed, teams, submitted, required):
    """Remember the person's ``submitted`` decisions ``{letter: (key or "", unit)}`` for
    this file's headings; raises ValidationError ({letter or "__all__": message}) when a
    column is left undecided, a field is taken twice, an amount has no unit or a required
    field is given by no column. Returns the columns as decided."""
    cols = columns(parsed)
    given = {c.letter: submitted.get(c.letter) or (UNDECIDED if c.key is None else c.key, c.unit)
             for c in cols}
    problems = checks.decision_problems(given, FIELDS, rules.AMOUNT_KEYS, required,
                                        rules.LABELS)
    if problems:
        raise ValidationError(problems)
    decide(cols, given)
    _remember(user.id, scope(user, parsed, teams), signature(cols),
              json.dumps(_decisions(cols), ensure_ascii=False))
    return cols


def _remember(user_id, team, sig, text):
    where = (ImportMapping.user == user_id, ImportMapping.team == team,
             ImportMapping.signature == sig)
    with tx.write():
        try:
            found = tx.lock(ImportMapping, *where)
        except NotFound:
            try:
                with tx.write():   # a savepoint: a twin inserted meanwhile is updated
                    ImportMapping.create(user=user_id, team=team, signature=sig, decisions=text)
                return
            except IntegrityError:
                found = ImportMapping.get(*where)
        ImportMapping.update(decisions=text, updated_at=utcnow()).where(
            ImportMapping.id == found.id).execute()


# --- the mapping page's use-cases ------------------------------------------------------

def page(user, parsed):
    """The columns of ``parsed`` for the mapping page, the remembered decisions applied."""
    cols = columns(parsed)
    return decide(cols, remembered(user, scope(user, parsed, teams_index()), signature(cols)))


def choose(user, parsed, submitted):
    """Remember the decisions the person submitted (:func:`save`; the pages always need
    所属专班, which only a command may set for the whole file)."""
    return save(user, parsed, teams_index(), submitted, rules.REQUIRED + ("task_force",))
