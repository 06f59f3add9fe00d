"""Filters of the audit page (GET, no CSRF). A value that does not parse is ignored and
named in a message; what it means (an unknown user, an id or a date out of range) is
checked by services.accounts.audit_log."""
from wtforms import Form, IntegerField, StringField

from ...services.accounts.audit_log import ACTION_LABELS, ENTITY_LABELS
from ..projects.forms import Choice, DayInput, opts

NAMES = {"user": "用户", "entity": "对象", "entity_id": "编号", "action": "操作",
         "start": "开始日期", "end": "结束日期"}


class AuditFilterForm(Form):
    user = StringField(NAMES["user"])
    entity = Choice(NAMES["entity"], default="")
    entity_id = IntegerField(NAMES["entity_id"])
    action = Choice(NAMES["action"], default="")
    start = DayInput(NAMES["start"])
    end = DayInput(NAMES["end"])

    def __init__(self, formdata):
        super().__init__(formdata)
        self.entity.choices = opts([("", "全部对象")] + sorted(ENTITY_LABELS.items()))
        self.action.choices = opts([("", "全部操作")] + sorted(ACTION_LABELS.items()))

    def values(self):
        """(parsed filters, a message for each value ignored)."""
        self.validate()
        out, messages = {}, []
        for name in NAMES:
            field = getattr(self, name)
            if field.errors:
                messages.append(f"{NAMES[name]}无效，已忽略该条件。")
                field.errors = []  # said once, in zh-CN, above the table
                out[name] = None
            else:
                out[name] = field.data
        out["user"] = (out["user"] or "").strip()[:64]
        return out, messages


class LoginFilterForm(Form):
    user = StringField(NAMES["user"])

    def username(self):
        return (self.user.data or "").strip()[:64]
