"""What the bureau writes into a 通报 (四、下步要求 and an optional 按语), kept per (year,
checkpoint) in ``bulletin_note``.

``note_for(year, checkpoint)`` reads it (None before anything was saved);
``save_note(user, year, checkpoint, requirements, remarks, version)`` is the one write
(docs/design.md, The write path): input checked first (texts as typed, bounded), then one
transaction whose first statement locks the pair's row; a form that showed an older version
is refused, an unchanged text writes nothing, and a change writes one audit row. Who may
call it (商务局, 管理员) is the web layer's decision.
"""
from dataclasses import dataclass

from peewee import IntegrityError, OperationalError

from ...domain import periods, text
from ...domain.errors import ValidationError
from ...models import BulletinNote, utcnow
from .. import audit, dataversion, tx
from .checkpoints import CHECKPOINTS

REQUIREMENTS_MAX = text.NOTE_MAX   # 2,000 characters
REMARKS_MAX = 500                  # a short 按语
STALE_NOTE = "下步要求已被他人修改，请刷新页面后重试（您填写的内容仍在下方，可复制保留）。"
FIELDS = ("requirements", "remarks")
# MariaDB/MySQL deadlock and lock-wait errors: two first saves of one pair wait for each other's
# gap locks; the loser's form is stale either way (the winner saved version 1).
_LOCK_ERRORS = (1205, 1213)


@dataclass(frozen=True)
class Note:
    """A saved note as the 通报 shows it."""
    requirements: str
    remarks: str
    version: int
    updated_by: str          # who saved it last ("" for the system)
    updated_at: object       # naive UTC datetime


def note_for(year, checkpoint):
    """The Note of ``(year, checkpoint)``, or None when none was saved."""
    row = (BulletinNote.select().where((BulletinNote.year == int(year))
                                       & (BulletinNote.checkpoint == str(checkpoint))).first())
    if row is None:
        return None
    who = row.updated_by
    return Note(row.requirements, row.remarks, row.version, str(who) if who else "",
                row.updated_at)


def _checked(year, checkpoint, requirements, remarks, version):
    errors = {}
    raw_year = str(year if year is not None else "").strip()
    if raw_year.isdigit() and periods.MIN_YEAR <= int(raw_year) <= periods.MAX_YEAR:
        year = int(raw_year)
    else:
        errors["year"] = f"年份无效（应为 {periods.MIN_YEAR}–{periods.MAX_YEAR} 之间的四位数字）。"
    if checkpoint not in CHECKPOINTS:
        errors["checkpoint"] = "通报节点无效（应为 q1、h1、q3 或 year）。"
    cleaned = {
        "requirements": text.clean_into(errors, "requirements", requirements, label="下步要求",
                                        max_length=REQUIREMENTS_MAX, multiline=True),
        "remarks": text.clean_into(errors, "remarks", remarks, label="按语",
                                   max_length=REMARKS_MAX, multiline=True),
    }
    raw_version = str(version if version is not None else "0").strip() or "0"
    if not raw_version.isdigit() or len(raw_version) > 9:
        errors["version"] = STALE_NOTE
    if errors:
        raise ValidationError(errors)
    return year, cleaned, int(raw_version)


def save_note(user, year, checkpoint, requirements="", remarks="", version=0):
    """Save the 下步要求 and 按语 of ``(year, checkpoint)`` as typed (cleaned, bounded);
    ``version`` is the one the form showed (0: none yet). Returns the Note as stored (None
    when nothing was ever saved and both texts are empty). ValidationError on bad input or
    a stale version; nothing is written then."""
    year, cleaned, version = _checked(year, checkpoint, requirements, remarks, version)
    try:
        return _save(user, year, checkpoint, cleaned, version)
    except IntegrityError as exc:           # another first save of the pair won the race
        raise ValidationError({"version": STALE_NOTE}) from exc
    except OperationalError as exc:
        if exc.args and exc.args[0] in _LOCK_ERRORS:
            raise ValidationError({"version": STALE_NOTE}) from exc
        raise


def _save(user, year, checkpoint, cleaned, version):
    with tx.write():
        row = tx.lock_all(BulletinNote.select().where(
            (BulletinNote.year == year) & (BulletinNote.checkpoint == checkpoint)))
        row = row[0] if row else None
        if (row.version if row else 0) != version:
            raise ValidationError({"version": STALE_NOTE})
        if row is None:
            if not any(cleaned.values()):
                return None
            row = BulletinNote.create(year=year, checkpoint=checkpoint, version=1,
                                      updated_by=audit.actor(user), updated_at=utcnow(),
                                      **cleaned)
            audit.record(user, "bulletin_note", row.id, "create", None,
                         {"year": year, "checkpoint": checkpoint, **cleaned})
            dataversion.changed()   # the 通报 is remembered per data version
        else:
            before, after = audit.changed({f: getattr(row, f) for f in FIELDS}, cleaned)
            if after:
                BulletinNote.update(version=row.version + 1, updated_by=audit.actor(user),
                                    updated_at=utcnow(), **after).where(
                    BulletinNote.id == row.id).execute()
                audit.record(user, "bulletin_note", row.id, "update",
                             {"year": year, "checkpoint": checkpoint, **before}, after)
                dataversion.changed()
    return note_for(year, checkpoint)
