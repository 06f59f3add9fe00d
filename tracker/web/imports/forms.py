"""Forms of the Excel import pages: the upload, and the commit of a previewed file (its
token, the choice for every duplicate and the choice per duplicate row)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
import re

from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, TextAreaField

from ...services.imports.commit import CHOICES, SKIP

ROW_PREFIX = "row-"
COLUMN_PREFIX, UNIT_PREFIX = "col-", "unit-"
_LETTER = re.compile(r"[A-Z]{1,3}")


class UploadForm(FlaskForm):
    file = FileField("表格文件（.xlsx、.xls、.ods 或 .csv）")


class CommitForm(FlaskForm):
    token = HiddenField()
    on_duplicate = RadioField("重复且有变化的项目", default=SKIP,
                              choices=[SelectChoice(k, v) for k, v in CHOICES.items()])
    # required by the service when the preview lists plausibility warnings
    acknowledge = BooleanField("我已核对以上提示")

    def row_choices(self, formdata):
        """{row number: "skip" | "update"} chosen per duplicate row (``row-<n>`` fields);
        anything else is ignored."""
        out = {}
        for name, value in formdata.items():
            number = name[len(ROW_PREFIX):]
            if name.startswith(ROW_PREFIX) and number.isdigit() and len(number) < 7 \
                    and value in CHOICES:
                out[int(number)] = value
        return out


class UndoForm(FlaskForm):
    """撤销本批导入: the reason (the service cleans and bounds it)."""
    reason = TextAreaField("撤销原因")


class MappingForm(FlaskForm):
    """列的对应: per column ``col-<letter>`` (a field key, "" 不导入, "?" undecided) and
    ``unit-<letter>`` (万元/亿元/元 for an amount); the service judges the values."""

    def decisions(self, formdata):
        """{letter: (field key or "", unit or None)} of the submitted columns."""
        out = {}
        for name, value in formdata.items():
            letter = name[len(COLUMN_PREFIX):]
            if name.startswith(COLUMN_PREFIX) and _LETTER.fullmatch(letter):
                unit = formdata.get(UNIT_PREFIX + letter) or None
                out[letter] = (value[:40], unit[:8] if unit else None)
        return out
