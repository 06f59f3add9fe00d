"""WTForms for the project ledger: filters, create/edit, stage change, funds,
capital increase and 退库. Parsing gives zh-CN messages; the business rules
themselves live in tracker.services.projects (their errors are mapped back
onto these fields by ``apply_errors``)."""
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    Form, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField, widgets,
)
from wtforms.fields import DateField, DecimalField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ... import clock
from ...domain import money, pipeline
from ...models import County, FundReceipt, Project, TaskForce, User
from ...services.projects import CURRENCIES, date_range

NOT_A_NUMBER = "请输入数字，例如 1234.5。"
NOT_A_DATE = "请输入有效日期（YYYY-MM-DD）。"
NOT_A_CHOICE = "请选择列表中的一项。"


class MoneyInput(DecimalField):
    """Decimal in 万元; rejects text, NaN and infinities with a zh-CN message."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid_value_message", NOT_A_NUMBER)
        kwargs.setdefault("places", None)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [valuelist[0].strip().replace(",", "").replace("，", "")]
            if not valuelist[0]:
                self.data = None
                return
        super().process_formdata(valuelist)
        if isinstance(self.data, Decimal) and not self.data.is_finite():
            self.data = None
            raise ValueError(self.invalid_value_message)


class DayInput(DateField):
    """Date (YYYY-MM-DD) within today ± 10 years, with zh-CN messages."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid_value_message", NOT_A_DATE)
        super().__init__(label, list(validators or []) + [_within_range], **kwargs)


def _within_range(form, field):
    if field.data is None:
        return
    low, high = date_range()
    if not low <= field.data <= high:
        raise ValidationError(f"日期必须在 {low.isoformat()} 至 {high.isoformat()} 之间。")


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


def money_range(positive=False, label="金额"):
    def check(form, field):
        if field.data is None:
            return
        if field.data < 0:
            raise ValidationError(f"{label}不能为负数。")
        if positive and field.data == 0:
            raise ValidationError(f"{label}必须大于0。")
        if field.data > money.MAX_WAN:
            raise ValidationError(f"{label}超出合理范围（最大 {money.fmt_wan(money.MAX_WAN)} 万元）。")
    return check


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


def apply_errors(form, errors):
    """Put service ValidationError messages next to the matching form fields.
    Returns the messages that have no field (shown at the top of the form)."""
    rest = []
    for key, message in errors.items():
        field = form._fields.get(key)
        if field is None:
            rest.append(message)
        else:
            field.errors = list(field.errors) + [message]
    return rest


# --- ledger filters (GET, no CSRF) -----------------------------------------

SORTS = {
    "updated": "更新时间",
    "name": "项目名称",
    "planned": "计划投资额",
    "contract": "签约额",
    "stage": "阶段",
}


class LedgerFilterForm(Form):
    q = StringField("搜索", validators=[Optional(), Length(max=100)])
    tf = Choice("专班", coerce=_optional_int, validators=[Optional()])
    stage = Choice("阶段", validators=[Optional()], default="")
    county = Choice("区县/开发区", coerce=_optional_int, validators=[Optional()])
    year = Choice("年度", coerce=_optional_int, validators=[Optional()])
    sort = Choice("排序", choices=list(SORTS.items()), default="updated")
    dir = Choice("顺序", choices=[("desc", "降序"), ("asc", "升序")], default="desc")

    def __init__(self, formdata):
        super().__init__(formdata)
        self.tf.choices = opts([("", "全部专班")] + [
            (t.id, t.name) for t in TaskForce.select().order_by(TaskForce.code)])
        self.stage.choices = opts([("", "全部阶段")] + pipeline.choices(include_dropped=True))
        self.county.choices = opts([("", "全部区县")] + [
            (c.id, c.name) for c in County.select().order_by(County.code)])
        this_year = clock.today().year
        self.year.choices = opts([("", "全部年度")] + [
            (y, f"{y}年") for y in range(this_year, this_year - 6, -1)])

    def values(self):
        """Cleaned filter values; anything invalid is simply ignored."""
        self.validate()
        out = {}
        for name in ("q", "tf", "stage", "county", "year", "sort", "dir"):
            field = getattr(self, name)
            out[name] = None if field.errors else field.data
        out["q"] = (out["q"] or "").strip()
        out["sort"] = out["sort"] if out["sort"] in SORTS else "updated"
        out["dir"] = out["dir"] if out["dir"] in ("asc", "desc") else "desc"
        return out


# --- create / edit -----------------------------------------------------------

class ProjectForm(FlaskForm):
    name = StringField("项目名称", validators=[DataRequired("请填写项目名称。"),
                                            Length(max=200, message="项目名称不能超过200个字。")])
    task_force = Choice("所属专班", coerce=_optional_int,
                        validators=[InputRequired("请选择专班。")])
    county = Choice("区县/开发区", coerce=_optional_int, validators=[Optional()])
    investor = StringField("投资方", validators=[Length(max=200, message="投资方不能超过200个字。")])
    investor_region = Choice("投资方来源地", validators=[Optional()], default="")
    capital_type = Choice("内外资", choices=list(Project.CAPITAL_TYPES.items()),
                          default="domestic")
    industry = StringField("产业", validators=[Length(max=64, message="产业不能超过64个字。")])
    tags = CheckboxList("企业标签", choices=[(t, t) for t in Project.TAGS])
    planned_investment = MoneyInput("计划投资额（万元）", validators=[
        InputRequired("请填写计划投资额。"), money_range(label="计划投资额")])
    contract_value = MoneyInput("签约额（万元）", validators=[
        Optional(), money_range(label="签约额")])
    signing_grade = Choice("签约等级", validators=[Optional()], default="")
    expected_sign_date = DayInput("预计签约日期", validators=[Optional()])
    owner = Choice("责任人", coerce=_optional_int, validators=[Optional()])
    contact = StringField("联系人及电话", validators=[Length(max=200, message="不能超过200个字。")])
    next_step = TextAreaField("下一步工作")
    problems = TextAreaField("存在问题")

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.task_force.choices = opts([(t.id, t.name) for t in teams])
        self.county.choices = opts([("", "（未指定）")] + [
            (c.id, c.name) for c in County.select().where(County.active == True)  # noqa: E712
            .order_by(County.code)])
        self.investor_region.choices = opts([("", "（未指定）")] + [(r, r) for r in Project.REGIONS])
        self.signing_grade.choices = opts([("", "（未签约）")] + list(pipeline.SIGNING_GRADES.items()))
        self.owner.choices = opts([("", "（未指定）")] + [
            (u.id, str(u)) for u in User.select().where(User.active == True)  # noqa: E712
            .order_by(User.username)])

    def ledger_fields(self):
        return {
            "name": self.name.data, "task_force": self.task_force.data,
            "county": self.county.data, "investor": self.investor.data or "",
            "investor_region": self.investor_region.data or "",
            "capital_type": self.capital_type.data, "industry": self.industry.data or "",
            "tags": self.tags.data or [], "planned_investment": self.planned_investment.data,
            "contract_value": self.contract_value.data,
            "signing_grade": self.signing_grade.data or None,
            "expected_sign_date": self.expected_sign_date.data,
            "owner": self.owner.data, "contact": self.contact.data or "",
            "next_step": self.next_step.data or "", "problems": self.problems.data or "",
        }


class NewProjectForm(ProjectForm):
    stage = Choice("当前阶段", choices=pipeline.choices(), default=pipeline.RESERVE)
    on = DayInput("进入该阶段日期", validators=[InputRequired("请填写日期。")],
                  default=clock.today)


# --- actions on the detail page ------------------------------------------------

class StageForm(FlaskForm):
    stage = Choice("目标阶段", choices=pipeline.choices())
    on = DayInput("日期", validators=[InputRequired("请填写日期。")], default=clock.today)
    contract_value = MoneyInput("签约额（万元）", validators=[
        Optional(), money_range(positive=True, label="签约额")])
    signing_grade = Choice("签约等级", choices=[("", "（不变）")] + list(
        pipeline.SIGNING_GRADES.items()), validators=[Optional()], default="")
    note = TextAreaField("说明", validators=[Length(max=2000)])


class FundsForm(FlaskForm):
    received_on = DayInput("到位日期", validators=[InputRequired("请填写到位日期。")],
                           default=clock.today)
    currency = Choice("币种", choices=list(CURRENCIES.items()), default="CNY")
    amount = MoneyInput("到位金额（万元）", validators=[
        Optional(), money_range(positive=True, label="到位金额")])
    original_amount = MoneyInput("美元金额（万美元）", validators=[
        Optional(), money_range(positive=True, label="美元金额")])
    exchange_rate = MoneyInput("汇率（元/美元）", validators=[Optional()])
    source_layer = Choice("资金来源", choices=[(s, s) for s in FundReceipt.SOURCE_LAYERS])
    evidence = TextAreaField("佐证材料", validators=[Length(max=2000)])


class IncreaseForm(FlaskForm):
    on = DayInput("增资日期", validators=[InputRequired("请填写增资日期。")],
                  default=clock.today)
    amount = MoneyInput("增资金额（万元）", validators=[
        InputRequired("请填写增资金额。"), money_range(positive=True, label="增资金额")])
    note = TextAreaField("说明", validators=[Length(max=2000)])


class DropForm(FlaskForm):
    on = DayInput("退库日期", validators=[InputRequired("请填写退库日期。")], default=clock.today)
    reason = TextAreaField("退库原因", validators=[DataRequired("退库必须填写原因。"),
                                               Length(max=2000)])
