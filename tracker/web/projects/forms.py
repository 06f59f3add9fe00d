"""WTForms for the project ledger: filters, create/edit, stage change, funds, capital
increase and 退库. Forms only parse what was typed (choices, dates); every rule — amounts,
lengths, required fields, dates not after today — is checked by services.ledger.projects,
whose messages web.forms.apply_errors puts next to these fields."""
from wtforms import (
    Form, HiddenField, SelectChoice, SelectField, SelectMultipleField, StringField,
    TextAreaField, widgets,
)
from wtforms.fields import DateField
from wtforms.validators import ValidationError
from flask_wtf import FlaskForm
from markupsafe import Markup, escape

from ... import clock
from ...domain import money, pipeline
from ...services.ledger.listing import CAPITAL_TYPES, REGIONS, SOURCE_LAYERS, TAGS
from ...services.ledger.inputs import CURRENCIES

NOT_A_DATE = "请输入有效日期（YYYY-MM-DD）。"
NOT_A_CHOICE = "请选择列表中的一项。"


def opts(pairs):
    """(value, label) pairs -> SelectChoice list."""
    return [SelectChoice(value, label) for value, label in pairs]


class Choice(SelectField):
    def __init__(self, label=None, validators=None, **kwargs):
        if kwargs.get("choices") is not None:
            kwargs["choices"] = opts(kwargs["choices"])
        kwargs.setdefault("invalid_choice_message", NOT_A_CHOICE)
        kwargs.setdefault("invalid_value_message", NOT_A_CHOICE)
        super().__init__(label, validators, **kwargs)


class CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, label=None, validators=None, **kwargs):
        if kwargs.get("choices") is not None:
            kwargs["choices"] = opts(kwargs["choices"])
        kwargs.setdefault("invalid_choice_message", NOT_A_CHOICE)
        super().__init__(label, validators, **kwargs)


class DayInput(DateField):
    """A YYYY-MM-DD date; empty is None (the service says whether it is required)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid_value_message", NOT_A_DATE)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and not "".join(valuelist).strip():
            self.data = None
            return
        super().process_formdata(valuelist)


class AmountInput(StringField):
    """An amount as typed: the service parses and checks it ("1.5亿", "1500万", "15,000":
    domain.money.check_amount), and the page shows it back as typed when it is refused."""


class Marked:
    """Marks a field required (the macro's * and aria-required, the HTML ``required``);
    whether it is given is checked by the service, whose message goes next to it."""
    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


MARKED = [Marked()]
PICK = "请选择"


def stored(label, value, unit="万元"):
    """What an amount field stored, for the message after a save: "签约额 = 15,000.00 万元"."""
    return f"{label} {money.stored_text(value, unit)}"


def owner_choices(owners):
    """The 责任人 list: "" and (task force, user) pairs, grouped by task force (a lead
    marked 负责人); each user once."""
    out, seen = [SelectChoice("", "（未指定）")], set()
    for group, user in owners:
        if user.id not in seen:
            seen.add(user.id)
            label = f"{user}（负责人）" if user.role == "lead" else str(user)
            out.append(SelectChoice(user.id, label, optgroup=group))
    return out


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


# --- ledger filters (GET, no CSRF) -----------------------------------------

SORTS = {
    "updated": "更新时间",
    "name": "项目名称",
    "planned": "计划投资额",
    "contract": "签约额",
    "stage": "阶段",
    "progress": "最近进展",
}
SCOPES = {"all": "全部项目", "team": "本专班", "mine": "我负责的"}
PAGE_SIZES = (25, 50, 100)
FILTER_NAMES = ("q", "tf", "stage", "county", "year", "sort", "dir", "scope", "per")


# Option HTML of the ledger filters' <select>s, rendered once per process for each choice
# list (WTForms renders ~80 options through its widgets on every request): choice key ->
# ({coerced value: index}, unselected options, selected options). Bounded: cleared when full.
_OPTIONS = {}
_OPTIONS_MAX = 64


def _choices_key(field):
    return field.coerce, tuple((c.value, c.label) for c in field.choices)


def _rendered_options(field):
    key = _choices_key(field)
    cached = _OPTIONS.get(key)
    if cached is None:
        index, plain, chosen = {}, [], []
        for i, (value, label) in enumerate(key[1]):
            index.setdefault(field.coerce(value), i)
            value, label = escape(value), escape(label or value)
            plain.append(f'<option value="{value}">{label}</option>')
            chosen.append(f'<option selected value="{value}">{label}</option>')
        if len(_OPTIONS) >= _OPTIONS_MAX:
            _OPTIONS.clear()
        cached = _OPTIONS[key] = (index, tuple(plain), tuple(chosen))
    return cached


class _CachedSelect(widgets.Select):
    """A <select> of pre-rendered (escaped) options; the one equal to the data is selected."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        index, plain, chosen = _rendered_options(field)
        at = index.get(field.data, -1) if field.data.__hash__ is not None else -1
        options = "".join(plain) if at < 0 else \
            "".join(plain[:at]) + chosen[at] + "".join(plain[at + 1:])
        return Markup(f"<select {widgets.html_params(name=field.name, **kwargs)}>"
                      f"{options}</select>")


class FilterChoice(Choice):
    """A filter <select>: options from _rendered_options, validated by one dict look-up."""
    widget = _CachedSelect()

    def pre_validate(self, form):
        if self.process_errors:
            return
        data = self.data if self.data.__hash__ is not None else object()
        if data not in _rendered_options(self)[0]:
            raise ValidationError(self.invalid_choice_message)


class LedgerFilterForm(Form):
    q = StringField("搜索")
    tf = FilterChoice("专班", coerce=_optional_int)
    stage = FilterChoice("阶段", default="")
    county = FilterChoice("区县/开发区", coerce=_optional_int)
    year = FilterChoice("年度", coerce=_optional_int)   # 有进展或到达阶段的年度 (ledger.year_condition)
    sort = FilterChoice("排序", choices=list(SORTS.items()), default="updated")
    dir = FilterChoice("顺序", choices=[("desc", "降序"), ("asc", "升序")], default="desc")
    scope = FilterChoice("范围", choices=list(SCOPES.items()), default="")
    per = FilterChoice("每页", coerce=_optional_int,
                       choices=[("", "默认")] + [(n, f"{n} 条") for n in PAGE_SIZES])

    def __init__(self, formdata, teams=(), counties=()):
        super().__init__(formdata)
        self.tf.choices = opts([("", "全部专班")] + [(t.id, t.name) for t in teams])
        self.stage.choices = opts([("", "全部阶段")] + pipeline.choices(include_dropped=True))
        self.county.choices = opts([("", "全部区县")] + [(c.id, c.name) for c in counties])
        this_year = clock.today().year
        self.year.choices = opts([("", "全部年度")] + [
            (y, f"{y}年") for y in range(this_year, this_year - 6, -1)])

    def state_key(self):
        """Everything the rendered form shows (each field's data, errors and choices), as
        a key for web.helpers.Fragments; None when a value cannot be one. Kept once made."""
        if "_state" not in self.__dict__:
            key = tuple((f.name, f.data, tuple(f.errors),
                         _choices_key(f) if isinstance(f, FilterChoice) else None) for f in self)
            try:
                hash(key)
            except TypeError:
                key = None
            self._state = key
        return self._state

    def values(self):
        """Parsed filter values; anything invalid is simply ignored."""
        self.validate()
        out = {}
        for name in FILTER_NAMES:
            field = getattr(self, name)
            out[name] = None if field.errors else field.data
        out["q"] = (out["q"] or "")[:100]
        out["sort"] = out["sort"] if out["sort"] in SORTS else "updated"
        out["dir"] = out["dir"] if out["dir"] in ("asc", "desc") else "desc"
        out["scope"] = out["scope"] if out["scope"] in SCOPES else None
        out["per"] = out["per"] if out["per"] in PAGE_SIZES else None
        return out


# Parsed ledger filters, per process: (field values as given, choice lists, this year) ->
# (form, values). A parsed form is only read afterwards (values, state_key, its fragment).
_PARSED = {}
_PARSED_MAX = 256


def parse_filters(formdata, teams, counties):
    """(LedgerFilterForm, a copy of its values) for ``formdata`` (the query string), parsed
    once per process for each set of filter values and choice lists."""
    key = (tuple((name, tuple(formdata.getlist(name))) for name in FILTER_NAMES),
           tuple((t.id, t.name) for t in teams), tuple((c.id, c.name) for c in counties),
           clock.today().year)
    hit = _PARSED.get(key)
    if hit is None:
        form = LedgerFilterForm(formdata, teams=teams, counties=counties)
        values = form.values()
        form.state_key()
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        hit = _PARSED[key] = (form, values)
    return hit[0], dict(hit[1])


# --- create / edit -----------------------------------------------------------

class ProjectForm(FlaskForm):
    version = HiddenField()
    name = StringField("项目名称", MARKED)
    task_force = Choice("所属专班", MARKED, coerce=_optional_int)
    county = Choice("区县/开发区", coerce=_optional_int)
    investor = StringField("投资方")
    investor_region = Choice("投资方来源地", default="")
    capital_type = Choice("内外资", choices=list(CAPITAL_TYPES.items()), default="domestic")
    industry = StringField("产业")
    tags = CheckboxList("企业标签", choices=[(t, t) for t in TAGS])
    planned_investment = AmountInput("计划投资额", MARKED)
    contract_value = AmountInput("签约额")
    signing_grade = Choice("签约等级", default="")
    expected_sign_date = DayInput("预计签约日期")
    owner = Choice("责任人", coerce=_optional_int)
    contact = StringField("联系人及电话")
    next_step = TextAreaField("下一步工作")
    problems = TextAreaField("存在问题")
    closed_reason = TextAreaField("补录原因 / 更正申请理由")

    def __init__(self, *args, teams=(), counties=(), owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.task_force.choices = opts([(t.id, t.name) for t in teams])
        self.county.choices = opts([("", "（未指定）")] + [(c.id, c.name) for c in counties])
        self.investor_region.choices = opts([("", "（未指定）")] + [(r, r) for r in REGIONS])
        self.signing_grade.choices = opts([("", "（未签约）")] + list(pipeline.SIGNING_GRADES.items()))
        self.owner.choices = owner_choices(owners)

    def ledger_fields(self):
        names = ("name", "task_force", "county", "investor", "investor_region", "capital_type",
                 "industry", "tags", "planned_investment", "contract_value", "signing_grade",
                 "expected_sign_date", "owner", "contact", "next_step", "problems")
        return {name: self[name].data for name in names}


# The empty choice never says "not changed": the fieldset is asked when an amount differs.
CHANGE_KINDS = (("", "请选择（修改了金额时必选）"), ("correction", "更正：录入错误，各日期均按新值"),
                ("change", "变更：自生效日期起实际变化，之前日期仍按原值"))


class EditProjectForm(ProjectForm):
    """编辑项目: a change of 计划投资额 or 签约额 also says its kind, date and reason."""
    change_kind = Choice("金额修改类型", choices=CHANGE_KINDS, default="")
    change_on = DayInput("变更生效日期")
    change_reason = TextAreaField("金额修改原因")

    def change_fields(self):
        return {"change_kind": self.change_kind.data or None, "change_on": self.change_on.data,
                "change_reason": self.change_reason.data}


class NewProjectForm(ProjectForm):
    stage = Choice("当前阶段", MARKED, choices=pipeline.choices(), default=pipeline.RESERVE)
    on = DayInput("进入该阶段日期", MARKED, default=clock.today)


# --- actions on the detail page ------------------------------------------------

CLOSED_REASON = "补录原因 / 更正申请理由"


class StageForm(FlaskForm):
    expected_stage = HiddenField()
    stage = Choice("目标阶段", MARKED, choices=pipeline.choices())
    on = DayInput("日期", MARKED, default=clock.today)
    contract_value = AmountInput("签约额")
    signing_grade = Choice("签约等级", choices=[("", "（不变）")] + list(
        pipeline.SIGNING_GRADES.items()), default="")
    note = TextAreaField("说明")
    closed_reason = TextAreaField(CLOSED_REASON)


class FundsForm(FlaskForm):
    received_on = DayInput("到位日期", MARKED, default=clock.today)
    currency = Choice("币种", MARKED, choices=list(CURRENCIES.items()), default="CNY")
    amount = AmountInput("到位金额")
    original_amount = AmountInput("美元金额")
    exchange_rate = AmountInput("汇率")
    # No preselected layer: it decides how the funds are classified. The service refuses
    # an empty one together with every other message of the form (not one round first).
    source_layer = Choice("资金来源", MARKED,
                          choices=[("", PICK)] + [(s, s) for s in SOURCE_LAYERS], default="")
    evidence = TextAreaField("佐证材料")
    closed_reason = TextAreaField(CLOSED_REASON)


class IncreaseForm(FlaskForm):
    on = DayInput("增资日期", MARKED, default=clock.today)
    amount = AmountInput("增资金额", MARKED)
    note = TextAreaField("说明")
    closed_reason = TextAreaField(CLOSED_REASON)


class DropForm(FlaskForm):
    expected_stage = HiddenField()
    on = DayInput("退库日期", MARKED, default=clock.today)
    reason = TextAreaField("退库原因", MARKED)
    closed_reason = TextAreaField(CLOSED_REASON)


class VoidForm(FlaskForm):
    """作废 one row of the timeline: which kind of row, its id and the reason."""
    kind = HiddenField()
    item_id = HiddenField()
    reason = TextAreaField("作废原因")
