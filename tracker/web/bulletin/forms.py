"""通报 query arguments and the 下步要求 form: parsing only (services.bulletin builds and stores)."""
from dataclasses import dataclass

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField

from ... import clock
from ...domain import periods
from ...services.bulletin.checkpoints import CHECKPOINTS
from ...services.bulletin.report import default_checkpoint
from ...domain.periods import MAX_YEAR, MIN_YEAR


@dataclass(frozen=True)
class BulletinQuery:
    year: int | None
    checkpoint: str | None
    errors: dict  # argument name -> zh-CN message (empty when the arguments were valid)


def parse_bulletin_query(args):
    """``year`` (YYYY, default domain.periods.reporting_year: last year until 31 March) and
    ``checkpoint`` (q1 | h1 | q3 | year, default the last checkpoint passed in that year)
    from ``args``."""
    errors = {}
    today = clock.today()
    raw_year = (args.get("year") or "").strip()
    raw_checkpoint = (args.get("checkpoint") or "").strip()
    year = checkpoint = None
    if not raw_year:
        year = periods.reporting_year(today)
    elif raw_year.isdigit() and MIN_YEAR <= int(raw_year) <= MAX_YEAR:
        year = int(raw_year)
    else:
        errors["year"] = f"年份无效：{raw_year[:20]}（应为 {MIN_YEAR}–{MAX_YEAR} 之间的四位数字）。"
    if raw_checkpoint in CHECKPOINTS:
        checkpoint = raw_checkpoint
    elif raw_checkpoint:
        errors["checkpoint"] = (f"通报节点无效：{raw_checkpoint[:20]}"
                                "（应为 q1、h1、q3 或 year）。")
    elif year is not None:
        checkpoint = default_checkpoint(year, today)
    return BulletinQuery(year, checkpoint, errors)


class NoteForm(FlaskForm):
    """四、下步要求 and the 按语 of one 通报 (services.bulletin.notes checks and stores them)."""
    requirements = TextAreaField("四、下步要求", render_kw={"rows": 8})
    remarks = TextAreaField("按语（选填，放在正文开头）", render_kw={"rows": 2})
    version = HiddenField(default="0")
