"""Forms of the Excel import pages: the upload, and the commit of a previewed file (its
token, the choice for every duplicate and the choice per duplicate row)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectChoice, TextAreaField

from ...services.imports.commit import CHOICES, SKIP

ROW_PREFIX = "row-"


class UploadForm(FlaskForm):
    file = FileField("表格文件（.xlsx、.xls、.ods 或 .csv）")


class CommitForm(FlaskForm):
    token = HiddenField()
    on_duplicate = RadioField("重复且有变化的项目", default=SKIP,
                              choices=[SelectChoice(k, v) for k, v in CHOICES.items()])

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
