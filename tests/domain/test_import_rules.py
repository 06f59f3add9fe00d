"""The import's pure rules (tracker.domain.import_rules) for a clerk's own 台账 (issue 18):
header synonyms and units, amounts in 万元, month-only dates, stage words, the rows that are
not projects, 责任人 matching and the stage plan they feed. Each case worked out by hand."""
import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from tracker.domain import import_rules as R
from tracker.domain import money, pipeline

D = datetime.date


# --- headers ------------------------------------------------------------------------

@pytest.mark.parametrize("title, key", [
    ("项目名称", "name"), ("项目", "name"), ("*项目名称", "name"), ("项目 名称", "name"),
    ("投资方", "investor"), ("投资主体", "investor"), ("签约企业", "investor"),
    ("企业名称", "investor"),
    ("当前阶段", "stage"), ("项目进展", "stage"), ("阶段", "stage"), ("进展情况", "stage"),
    ("签约日期", "signed_on"), ("签约时间", "signed_on"), ("开工日期", "started_on"),
    ("开工时间", "started_on"), ("开工时间（年月）", "started_on"), ("洽谈时间", "negotiating_on"),
    ("区县/开发区", "county"), ("所属区县", "county"), ("区县", "county"), ("开发区", "county"),
    ("责任人", "owner"), ("包保领导", "owner"), ("联系人", "contact"),
    ("所属专班", "task_force"), ("专班", "task_force"),
    ("预计签约时间", "expected_sign_date"),
])
def test_header_synonyms(title, key):
    assert R.header_key(title) == key
    assert R.header_field(title).unit is None


@pytest.mark.parametrize("title, key, unit", [
    ("计划投资额（万元）", "planned_investment", "万元"),   # the export's own title
    ("计划投资额（亿元）", "planned_investment", "亿元"),
    ("计划投资额(亿元)", "planned_investment", "亿元"),
    ("总投资（亿）", "planned_investment", "亿元"),
    ("投资额(万元)", "planned_investment", "万元"),
    ("投资额【单位：元】", "planned_investment", "元"),
    ("计划总投资 （ 亿元 ）", "planned_investment", "亿元"),
    ("总投资亿元", "planned_investment", "亿元"),
    ("签约额（亿元）", "contract_value", "亿元"),
    ("合同额/亿元", "contract_value", "亿元"),
    ("签约额", "contract_value", None),               # no unit: read as 万元
    ("计划投资额（含设备）", "planned_investment", None),
])
def test_units_read_from_the_header(title, key, unit):
    assert R.header_field(title) == R.Header(key, unit)
    assert R.unit_problem(title, R.header_field(title)) is None
    assert R.unit_label(unit) == (unit or "万元")


def test_every_export_title_is_recognised():
    for title, key in R.COLUMNS:
        assert R.header_key(title) == key


def test_foreign_currency_units_are_refused():
    found = R.header_field("签约额（万美元）")
    assert found == R.Header("contract_value", "万美元")
    assert "美元" in R.unit_problem("签约额（万美元）", found)


def test_columns_read_past_or_listed():
    assert R.header_field("备注") is None and not R.is_ignored("备注")
    assert "备注" in R.ignored_reason("备注")
    assert R.is_ignored("序号") and R.is_seq("序号")
    assert R.is_ignored("到位资金合计（万元）")
    assert R.header_field("2026年精细化工专班招商项目台账") is None
    assert R.header_field("填报单位：精细化工专班") is None
    assert R.header_field("总计划") is None


def test_column_carries_its_letter_heading_and_unit():
    column = R.Column("E", "计划投资额（亿元）", "亿元")
    assert column == "E" and str(column) == "E" and f"{column}" == "E"
    assert (column.heading, column.unit) == ("计划投资额（亿元）", "亿元")
    key = R.extra_key("L", "备注")
    assert R.is_extra(key) and R.is_extra(R.SEQ_KEY) and not R.is_extra("name")
    assert R.extra_title(key) == "备注" and R.extra_title(R.SEQ_KEY) == ""


# --- amounts --------------------------------------------------------------------------

def test_amounts_converted_to_wan_then_rounded():
    # 12 亿元 = 12 × 10000 万元
    assert R.read_amount(12, "亿元") == R.Amount(Decimal(120000), "12 亿元", "亿元")
    # 0.35 亿元 = 3500 万元; 1.23456 亿元 = 12345.6 万元 (rounded after conversion)
    assert R.read_amount("0.35", "亿元").value == Decimal("3500.00")
    assert money.to_decimal(R.read_amount("1.23456", "亿元").value) == Decimal("12345.60")
    # 12345 元 = 1.2345 万元 -> 1.23; 125 元 = 0.0125 万元 -> 0.01
    assert R.read_amount(12345, "元").value == Decimal("1.2345")
    assert money.to_decimal(R.read_amount(125, "元").value) == Decimal("0.01")
    # no unit: 万元, as typed
    assert R.read_amount("1,000.005", None) == R.Amount(Decimal("1000.005"), "1,000.005 万元",
                                                       "万元")
    assert R.read_amount(1000.0, None).source == "1000 万元"


def test_a_unit_typed_in_the_cell_wins():
    assert R.read_amount("12亿", None) == R.Amount(Decimal(120000), "12 亿元", "亿元")
    assert R.read_amount("３０００万元", "亿元") == R.Amount(Decimal(3000), "3000 万元", "万元")


def test_amounts_that_are_no_number_reach_the_check_as_typed():
    assert R.read_amount(None, "亿元") == R.Amount(None, "", "亿元")
    assert R.read_amount("  ", None).value is None
    read = R.read_amount("约12", "亿元")
    assert read.value == "约12" and read.source == "约12 亿元"
    assert money.check_number(read.value, label="计划投资额")[1] == "计划投资额必须是数字。"
    negative = R.read_amount(-1, "亿元").value
    assert money.check_number(negative, label="签约额")[1] == "签约额不能为负数。"


# --- dates ----------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["2026年3月", "2026年03月", "2026年3月份", "2026.3", "2026-03",
                                   "2026/3", "２０２６年３月", 2026.3])
def test_month_only_dates_are_the_first_of_the_month(value):
    assert R.read_date(value) == R.DateRead(D(2026, 3, 1), None, True)
    assert R.parse_date(value) == (D(2026, 3, 1), None)
    assert R.date_source(value, R.read_date(value)).endswith("（仅到月份，按当月1日）")


def test_full_dates_are_not_month_only():
    assert R.read_date("2026年3月5日") == R.DateRead(D(2026, 3, 5))
    assert R.read_date(datetime.datetime(2026, 3, 5, 0, 0)) == R.DateRead(D(2026, 3, 5))
    assert R.date_source(D(2026, 3, 5), R.read_date(D(2026, 3, 5))) == ""
    assert R.date_source("2026.3.5", R.read_date("2026.3.5")) == "2026.3.5"


def test_bad_month_dates():
    assert R.read_date("2026年13月").error == "日期「2026年13月」不存在。"
    assert "可用" in R.read_date("3月").error
    assert R.read_date(2026.12) == R.DateRead(D(2026, 12, 1), None, True)
    # a number cell 2026.1 may have been 2026.10: refused, asking for text
    assert "1月和10月" in R.read_date(2026.1).error
    assert R.read_date(2026).error == R.BAD_DATE


# --- stages ---------------------------------------------------------------------------

@pytest.mark.parametrize("word, stage", [
    ("在谈", "negotiating"), ("洽谈中", "negotiating"), ("正在洽谈", "negotiating"),
    ("洽谈", "negotiating"), ("谋划中", "reserve"), ("储备", "reserve"), ("谋划", "reserve"),
    ("储备/谋划", "reserve"), ("", "reserve"), (None, "reserve"),
    ("已签约", "signed"), ("签约", "signed"), ("在建", "started"), ("已开工", "started"),
    ("开工建设", "started"), ("开工", "started"), ("已投产", "producing"),
    ("竣工投产", "producing"), ("投产", "producing"), ("已达产", "at_capacity"),
    ("达产", "at_capacity"), ("策划包装", "packaged"), ("退库", "dropped"),
    ("signed", "signed"), ("签约阶段", "signed"), (" 在 建 ", "started"),
])
def test_stage_words(word, stage):
    assert R.parse_stage(word) == (stage, None)


def test_landed_asks_which_stage():
    stage, error = R.parse_stage("已落地")
    assert stage is None and "签约、开工或投产" in error
    stage, error = R.parse_stage("完成")
    assert stage is None and "无效" in error and "在谈" in error


# --- rows that are not projects ---------------------------------------------------------

@pytest.mark.parametrize("cells, name, seq, why", [
    ([None, "合计", None, "=SUM(E4:E9)"], "合计", None, "合计行，已跳过"),
    (["合计", None, None], None, "合计", "合计行，已跳过"),
    ([None, "合 计", 21.5], "合 计", None, "合计行，已跳过"),
    ([None, "小计（3个）"], "小计（3个）", None, "小计行，已跳过"),
    (["总计：", None], None, None, "总计行，已跳过"),
    (["注：金额单位为亿元。"], None, "注：金额单位为亿元。", "注释、说明行，已跳过"),
    (["注1、签约时间只到月份"], None, None, "注释、说明行，已跳过"),
    (["说明：以上为在库项目"], None, None, "注释、说明行，已跳过"),
    ([None, "填报人：张三　审核人：李四"], "填报人：张三　审核人：李四", None, "注释、说明行，已跳过"),
    (["审核人：李四"], None, None, "注释、说明行，已跳过"),
    (["制表人：王五"], None, None, "注释、说明行，已跳过"),
    (["填表人：赵六"], None, None, "注释、说明行，已跳过"),
    ([None, "", "  "], None, None, "空行，已跳过"),
])
def test_rows_that_are_skipped(cells, name, seq, why):
    assert R.skip_reason(cells, name=name, seq=seq) == why


@pytest.mark.parametrize("cells, name", [
    ([1, "总计划投资项目", 12], "总计划投资项目"),   # 总计 inside a word
    ([2, "注塑件项目", 3], "注塑件项目"),
    ([3, "说明书印刷项目", 3], "说明书印刷项目"),
    ([4, "合成材料项目", 3], "合成材料项目"),
])
def test_projects_are_not_skipped(cells, name):
    assert R.skip_reason(cells, name=name, seq=cells[0]) is None


# --- 责任人 ----------------------------------------------------------------------------

def _person(username, display_name=""):
    return SimpleNamespace(username=username, display_name=display_name)


def test_owner_by_user_name_display_name_or_the_name_before_its_bracket():
    zhang = _person("zhang", "张专员（精细化工）")
    li = _person("li", "李专员")
    people = R.People([zhang, li])
    assert people.find("zhang") == [zhang]
    assert people.find("ＺＨＡＮＧ") == [zhang]
    assert people.find("张专员（精细化工）") == [zhang]
    assert people.find("张专员(精细化工)") == [zhang]
    assert people.find("张专员") == [zhang]
    assert people.find(" 李专员 ") == [li]
    assert people.find("王专员") == [] and people.find("") == [] and people.find(None) == []


def test_ambiguous_owner_lists_every_candidate():
    a, b = _person("zhang1", "张专员（精细化工）"), _person("zhang2", "张专员（新材料）")
    assert R.match_people("张专员", [a, b]) == [a, b]
    # the whole display name or the user name is exact, and exact wins over the short form
    assert R.match_people("张专员（新材料）", [a, b]) == [b]
    c = _person("zhangc", "张专员")
    assert R.match_people("张专员", [a, b, c]) == [c]
    assert R.person_label(a) == "张专员（精细化工）（zhang1）"
    assert R.person_label(_person("wang", "wang")) == "wang"


# --- the stage plan with month dates and stage words -------------------------------------

def test_stage_words_and_month_dates_make_the_dated_events_in_order():
    today = D(2026, 12, 7)
    stage, _ = R.parse_stage("在建")
    signed, started = R.parse_date("2026年3月")[0], R.parse_date("2026.5")[0]
    events, error = R.stage_plan(stage, {pipeline.SIGNED: signed, pipeline.STARTED: started},
                                 None, today)
    assert error is None
    assert events == [("signed", D(2026, 3, 1)), ("started", D(2026, 5, 1))]
    # 已签约 with its 签约时间 only: created at 签约 on the first of the month
    events, error = R.stage_plan(R.parse_stage("已签约")[0], {pipeline.SIGNED: signed}, None,
                                 today)
    assert (events, error) == ([("signed", D(2026, 3, 1))], None)
    # 在建 without a 开工 date (and no 最近进展日期): the form would ask for the date
    events, error = R.stage_plan("started", {pipeline.SIGNED: signed}, None, today)
    assert events == [] and error == ("started_on", "当前阶段为开工，请填写开工日期。")
    # 谋划中 without dates: 储备/谋划 today
    assert R.stage_plan(R.parse_stage("谋划中")[0], {}, None, today) == (
        [("reserve", today)], None)


def test_a_unit_line_above_the_header():
    assert R.sheet_unit(["2026年精细化工专班招商项目台账", None, "单位：亿元"]) == "亿元"
    assert R.sheet_unit(["填报单位：精细化工专班　　金额单位：万元"]) == "万元"
    assert R.sheet_unit(["（单位:亿元人民币）"]) == "亿元"
    assert R.sheet_unit(["填报单位：精细化工专班", 3, None]) is None
    assert R.sheet_unit(["单位：亿美元"]) is None
    row = R.HeaderRow(("项目名称", "计划投资额"), "亿元")
    assert row == ("项目名称", "计划投资额") and row.unit == "亿元" and row[1:] == ("计划投资额",)
