"""Demo data shaped on the source facts (Fushun "6+N" investment task forces).

    flask --app tracker seed [--if-empty]          # or: python seed.py [--if-empty]

Creates 7 counties/zones, the six key-industry task forces plus N county/enterprise
ones, one demo login per role and ~170 projects spread over the whole pipeline with
dated stage events across last year and this year up to today, fund receipts,
capital increases, 退库 with reasons and stale projects. Task forces perform
differently on purpose (some ahead of the time schedule, some behind).

Idempotent: counties, task forces and users are found by code/username, projects by
(task force, name, investor); running it again adds nothing. Deterministic: the same
random seed always gives the same projects. Projects are created only through
tracker.services.projects (the same validation and audit trail as the web forms),
all in one transaction.

The demo password is TRACKER_SEED_PASSWORD when set, otherwise generated once and
kept in <instance>/seed_password (never a fixed string).
"""
import datetime
import random
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from tracker.config import instance_secret
from tracker.domain import pipeline

SEED = 20230601

# (code, name, kind) — Fushun's four urban districts, 抚顺县 and two development zones.
COUNTIES = [
    ("XF", "新抚区", "county"),
    ("WH", "望花区", "county"),
    ("SC", "顺城区", "county"),
    ("DZ", "东洲区", "county"),
    ("FSX", "抚顺县", "county"),
    ("GXQ", "抚顺高新区", "zone"),
    ("SFSF", "沈抚示范区", "zone"),
]

# 到位资金 growth this year over the same period last year, per county (goal: +20%).
COUNTY_GROWTH = {"XF": 0.35, "WH": 0.08, "SC": 0.22, "DZ": -0.06, "FSX": 0.48, "GXQ": 0.16,
                 "SFSF": 0.61}

# The "6+N" task forces. ``size`` = number of demo projects; ``strength`` = share of
# the time-adjusted annual target the task force has reached this year (1.0 = on
# schedule): above 1 is ahead (green), 0.9 yellow, 0.7 orange, 0.5 red.
TASK_FORCES = [
    dict(code="JXHG", name="精细化工产业招商专班", kind="6", industry="精细化工",
         lead_department="市工业和信息化局", leader="刘志强", counties=["WH", "GXQ", "DZ"],
         size=32, strength=1.18),
    dict(code="GDZB", name="高端装备制造招商专班", kind="6", industry="高端装备",
         lead_department="市发展和改革委员会", leader="陈建华", counties=["WH", "SFSF", "FSX"],
         size=22, strength=1.02),
    dict(code="XCL", name="新材料产业招商专班", kind="6", industry="新材料",
         lead_department="市科学技术局", leader="王丽娟", counties=["GXQ", "DZ"],
         size=18, strength=0.93),
    dict(code="QJNY", name="清洁能源产业招商专班", kind="6", industry="清洁能源",
         lead_department="市能源局", leader="赵国栋", counties=["DZ", "FSX", "SC"],
         size=16, strength=0.76),
    dict(code="SZJJ", name="数字经济产业招商专班", kind="6", industry="数字经济",
         lead_department="市营商环境建设局", leader="孙晓明", counties=["SFSF", "XF"],
         size=12, strength=0.52),
    dict(code="XDFW", name="现代服务业招商专班", kind="6", industry="现代服务",
         lead_department="市商务局", leader="周红", counties=["XF", "SC"],
         size=12, strength=0.86),
    dict(code="FSSH", name="抚顺石化专班", kind="N", industry="石油化工",
         lead_department="抚顺石化公司", leader="李振东", counties=["WH", "DZ"],
         size=20, strength=1.22),
    dict(code="FKJT", name="抚矿集团专班", kind="N", industry="能源化工",
         lead_department="抚顺矿业集团", leader="吴海军", counties=["DZ", "FSX"],
         size=12, strength=0.71),
    dict(code="LGYL", name="“两钢一铝”专班", kind="N", industry="冶金新材料",
         lead_department="抚顺特钢、新钢铁、抚顺铝业", leader="郑永刚", counties=["WH", "SC"],
         size=10, strength=0.95),
    dict(code="YMJJ", name="永茂建机专班", kind="N", industry="工程机械",
         lead_department="永茂建机公司", leader="冯立新", counties=["GXQ"],
         size=8, strength=0.48),
    dict(code="FWZG", name="抚挖重工专班", kind="N", industry="工程机械",
         lead_department="抚挖重工公司", leader="褚建平", counties=["SFSF", "GXQ"],
         size=8, strength=0.82),
    dict(code="GXQZB", name="抚顺高新区招商专班", kind="N", industry="综合",
         lead_department="抚顺高新区管委会", leader="蒋文博", counties=["GXQ"],
         size=10, strength=1.06),
]

# (username, role, display name, task-force codes)
DEMO_USERS = [
    ("admin", "admin", "系统管理员", []),
    ("bureau", "bureau", "市商务局·招商科", []),
    ("lead", "lead", "刘组长（精细化工）", ["JXHG", "FSSH"]),
    ("member", "member", "张专员（精细化工）", ["JXHG"]),
]

# Investors are fictional; (name, region, capital type, tags).
INVESTORS = {
    "central": [
        ("中能化工集团有限公司", "央企", "domestic", "央企,世界500强"),
        ("中装重工集团有限公司", "央企", "domestic", "央企,中国500强"),
        ("国联新能源投资有限公司", "央企", "domestic", "央企"),
        ("中冶材科集团有限公司", "央企", "domestic", "央企,世界500强"),
        ("华电数智科技有限公司", "央企", "domestic", "央企"),
    ],
    "yrd": [  # 长三角 private firms
        ("苏州启明新材料科技股份有限公司", "长三角", "domestic", "上市公司,专精特新"),
        ("宁波甬科精细化工有限公司", "长三角", "domestic", "专精特新"),
        ("上海浦芯半导体材料有限公司", "长三角", "domestic", "专精特新"),
        ("杭州云栖数字科技有限公司", "长三角", "domestic", "民营500强"),
        ("常州天合储能装备有限公司", "长三角", "domestic", "上市公司"),
        ("无锡华澄智能装备有限公司", "长三角", "domestic", "专精特新"),
    ],
    "prd": [
        ("深圳前湾智能科技有限公司", "珠三角", "domestic", "民营500强"),
        ("广州南沙新能源汽车零部件有限公司", "珠三角", "domestic", "上市公司"),
        ("东莞松湖精密机械有限公司", "珠三角", "domestic", "专精特新"),
    ],
    "bth": [  # 京津冀
        ("北京中关村智造科技有限公司", "京津冀", "domestic", "专精特新"),
        ("天津滨海化工新材料有限公司", "京津冀", "domestic", "上市公司"),
        ("河北冀东装备集团有限公司", "京津冀", "domestic", "民营500强"),
    ],
    "foreign": [
        ("日本东洋精化株式会社", "日韩", "foreign", "世界500强,外资"),
        ("韩国大韩新素材株式会社", "日韩", "foreign", "外资"),
        ("德国莱茵机械制造有限公司", "欧洲", "foreign", "外资"),
        ("香港恒基实业投资有限公司", "香港", "foreign", "外资"),
    ],
    "province": [
        ("沈阳盛京装备集团有限公司", "省内", "domestic", ""),
        ("大连港湾化工有限公司", "省内", "domestic", "上市公司"),
        ("鞍山钢联新材料有限公司", "省内", "domestic", "中国500强"),
    ],
}

# Investor mix per industry: pools to draw from, most likely first.
INVESTOR_MIX = {
    "精细化工": ["yrd", "central", "foreign", "bth", "province"],
    "石油化工": ["central", "yrd", "foreign", "province"],
    "能源化工": ["central", "province", "yrd"],
    "高端装备": ["yrd", "central", "prd", "foreign", "province"],
    "工程机械": ["province", "yrd", "foreign", "prd"],
    "新材料": ["yrd", "foreign", "bth", "central"],
    "冶金新材料": ["central", "province", "yrd"],
    "清洁能源": ["central", "yrd", "prd"],
    "数字经济": ["prd", "yrd", "bth", "central"],
    "现代服务": ["foreign", "bth", "yrd", "province"],
    "综合": ["yrd", "prd", "bth", "foreign", "province"],
}

PROJECT_STEMS = {
    "精细化工": ["年产5万吨电子级湿化学品", "高端表面活性剂", "环氧丙烷下游聚醚多元醇", "医药中间体及原料药",
             "特种润滑油添加剂", "高性能水处理剂", "光刻胶配套试剂", "农药绿色中间体", "香精香料",
             "电池级碳酸亚乙烯酯", "聚氨酯催化剂", "高纯溶剂提纯", "日化功能助剂", "涂料用特种树脂"],
    "石油化工": ["炼化一体化转型升级配套", "乙烯下游高端聚烯烃", "特种蜡深加工", "异丁烯综合利用",
             "碳九芳烃分离", "α-烯烃", "茂金属聚乙烯", "石化副产氢综合利用", "EVA光伏料",
             "丁二烯橡胶扩能"],
    "能源化工": ["油页岩综合利用", "矿区光伏复合发电", "煤层气开发利用", "采煤沉陷区生态修复",
             "矸石综合利用建材", "瓦斯发电提效"],
    "高端装备": ["石化专用泵阀", "智能仓储物流装备", "工业机器人集成", "精密齿轮箱", "矿山智能装备",
             "高压容器制造", "风电齿轮传动系统", "氢能压缩机", "激光切割装备", "智能输变电设备"],
    "工程机械": ["塔式起重机智能制造", "履带式挖掘机整机", "工程机械再制造", "液压件配套产业园",
             "起重机关键结构件", "建筑机器人"],
    "新材料": ["碳纤维复合材料", "高纯石墨负极材料", "特种陶瓷", "高性能钛合金棒材", "锂电隔膜",
             "可降解塑料PBAT", "气凝胶保温材料", "电子级多晶硅", "玄武岩纤维"],
    "冶金新材料": ["高温合金", "特种不锈钢精密带材", "高端铝型材", "粉末冶金", "航空用钛材"],
    "清洁能源": ["集中式光伏发电", "分散式风电", "抽水蓄能电站前期", "绿氢制储加一体化",
             "生物质热电联产", "储能电站", "充换电基础设施"],
    "数字经济": ["工业互联网平台", "城市数据中心", "智能制造示范工厂", "软件外包服务中心", "数字孪生园区",
             "跨境电商产业园"],
    "现代服务": ["冷链物流园", "商贸综合体", "文旅康养小镇", "供应链金融服务中心", "会展中心运营",
             "职业技能培训基地"],
    "综合": ["科技企业孵化器", "生物医药产业园", "新能源汽车零部件", "节能环保装备", "食品精深加工"],
}

DROP_REASONS = [
    "投资方战略调整，暂缓在东北布局。",
    "用地指标未落实，企业改选外省园区。",
    "环评未通过，项目不具备落地条件。",
    "企业资金链紧张，投资计划取消。",
    "产品市场下行，投资方终止合作。",
    "与国家产业政策调整方向不符。",
]
NEXT_STEPS = {
    "reserve": "梳理项目要素，形成项目建议书。",
    "packaged": "完善项目策划包装材料，对接目标企业。",
    "negotiating": "组织第二轮商务谈判，明确用地和能耗指标。",
    "signed": "推进立项、环评和施工许可手续。",
    "started": "加快主体工程建设，协调设备进场。",
    "producing": "跟踪投产运行，协助企业申报奖励。",
    "at_capacity": "总结落地经验，谋划二期。",
    "dropped": "",
}
PROBLEMS = ["", "", "", "用地指标待落实。", "能耗指标紧张。", "配套管网需改造。", "企业融资进度慢。",
            "环评手续办理中。"]
CONTACTS = ["王经理", "李总", "张部长", "刘主任", "陈总监", "杨经理", "赵总", "黄部长"]

# Chance of each final stage (before a task force's strength shifts it).
STAGE_WEIGHTS = [("reserve", 8), ("packaged", 14), ("negotiating", 24), ("signed", 17),
                 ("started", 14), ("producing", 10), ("at_capacity", 3), ("dropped", 10)]

# Checkpoint of time: the scaling below aims at target × time progress.
ANNUAL_PACKAGED = Decimal(1000000)  # 100亿 in 万元
ANNUAL_SIGNED = Decimal(200000)     # 20亿 in 万元


# Days between reaching the previous stage and this one.
GAP_DAYS = {"packaged": (20, 120), "negotiating": (20, 120), "signed": (30, 150),
            "started": (30, 120), "producing": (120, 360), "at_capacity": (90, 300)}


@dataclass
class Step:
    stage: str
    on: datetime.date
    note: str = ""
    reason: str = ""


@dataclass
class ProjectPlan:
    task_force: str
    name: str
    investor: str
    investor_region: str
    capital_type: str
    tags: str
    industry: str
    county: str
    planned: Decimal
    contract: Decimal = None
    signing_grade: str = None
    owner: str = None
    contact: str = ""
    next_step: str = ""
    problems: str = ""
    expected_sign_date: datetime.date = None
    stale: bool = False                              # no progress logged for 60+ days
    steps: list = field(default_factory=list)       # first step = creation
    funds: list = field(default_factory=list)       # (date, 万元, currency, orig, rate, layer)
    increases: list = field(default_factory=list)   # (date, 万元, note)


# --- plan: pure data, no database -------------------------------------------

def build_plan(today, seed=SEED):
    """Every demo project as plain data. Names/investors depend only on ``seed``;
    dates follow ``today`` (events span last year and this year, up to today)."""
    names_rng, rng = random.Random(seed), random.Random(seed + 1)
    plans = []
    for tf in TASK_FORCES:
        team_plans = [_identity(tf, i, names_rng) for i in range(tf["size"])]
        for plan, final in zip(team_plans, _final_stages(tf, rng)):
            _timeline(plan, tf, final, today, rng)
        _scale_to_strength(team_plans, tf, today, rng)
        for plan in team_plans:
            _money_events(plan, today, rng)
        plans.extend(team_plans)
    _balance_county_funds(plans, today)
    return plans


def _identity(tf, index, rng):
    industry = tf["industry"]
    stems = PROJECT_STEMS[industry]
    stem = stems[index % len(stems)]
    phase = index // len(stems)
    pools = INVESTOR_MIX[industry]
    pool = pools[min(int(rng.expovariate(1.1)), len(pools) - 1)]
    investor, region, capital_type, tags = rng.choice(INVESTORS[pool])
    name = f"{stem}项目" + ("" if phase == 0 else f"（{'一二三四五'[phase]}期）")
    planned = _round100(Decimal(int(10 ** rng.uniform(3.5, 5.4))))  # ~0.3亿–25亿
    return ProjectPlan(
        task_force=tf["code"], name=name, investor=investor, investor_region=region,
        capital_type=capital_type, tags=tags, industry=industry,
        county=rng.choice(tf["counties"]), planned=planned,
        contact=f"{rng.choice(CONTACTS)} 139{rng.randint(0, 99999999):08d}",
        problems=rng.choice(PROBLEMS))


def _round100(value):
    return max(Decimal(100), (Decimal(value) / 100).quantize(Decimal(1)) * 100)


def _final_stages(tf, rng):
    """The stage each project of a task force ends at: counts proportional to the
    weights (largest remainder, so small task forces get a real mix), shuffled."""
    weights = dict(STAGE_WEIGHTS)
    s = tf["strength"]
    # Strong task forces move more projects into negotiation and signing;
    # weak ones keep more in reserve and drop more.
    weights["negotiating"] *= s ** 3
    weights["signed"] *= s ** 2
    weights["reserve"] /= s
    weights["dropped"] /= s
    total = sum(weights.values())
    exact = {stage: w * tf["size"] / total for stage, w in weights.items()}
    counts = {stage: int(x) for stage, x in exact.items()}
    by_remainder = sorted(exact, key=lambda st: exact[st] - counts[st], reverse=True)
    for stage in by_remainder[:tf["size"] - sum(counts.values())]:
        counts[stage] += 1
    stages = [stage for stage, _ in STAGE_WEIGHTS for _ in range(counts[stage])]
    rng.shuffle(stages)
    return stages


def _timeline(plan, tf, final, today, rng):
    first_day = datetime.date(today.year - 1, 1, 5)
    dropped = final == "dropped"
    if dropped:  # the stage it reached before being dropped
        final = rng.choice(["reserve", "packaged", "negotiating", "negotiating", "signed"])
    path = list(pipeline.ORDER[:pipeline.ORDER.index(final) + 1])
    if len(path) > 1 and rng.random() < 0.2:
        path = path[1:]  # created directly at 策划包装 (arrived already packaged)

    # Date of the last stage event: recent for live projects; some stale ones
    # (60/90/180+ days without progress), more of them in weaker task forces.
    open_pipeline = final in ("reserve", "packaged", "negotiating", "signed")
    stale_share = 0.08 + 0.12 * max(0.0, 1.2 - tf["strength"])
    roll = rng.random() / stale_share if stale_share else 9
    plan.stale = open_pipeline and not dropped and roll < 1
    days_this_year = (today - datetime.date(today.year, 1, 1)).days
    if dropped:
        last = today - datetime.timedelta(days=rng.randint(10, 420))
    elif open_pipeline and roll < 0.35:
        last = today - datetime.timedelta(days=rng.randint(62, 85))
    elif open_pipeline and roll < 0.7:
        last = today - datetime.timedelta(days=rng.randint(92, 170))
    elif open_pipeline and roll < 1:
        last = today - datetime.timedelta(days=rng.randint(185, 320))
    elif final == "signed":
        # Signed at any time this year (a few last year); paid-in capital keeps
        # the project fresh until it starts.
        last = today - datetime.timedelta(days=rng.randint(1, max(days_this_year + 60, 2)))
    elif final == "negotiating":
        last = today - datetime.timedelta(days=rng.randint(1, 59))
    elif open_pipeline:
        last = today - datetime.timedelta(days=rng.randint(1, 55))
    else:  # under way: started/produced this year or last year (funds keep them fresh)
        last = today - datetime.timedelta(days=rng.randint(15, 460))

    gaps = [rng.randint(*GAP_DAYS[stage]) for stage in path[1:]]
    if dropped:
        gaps.append(rng.randint(15, 120))
    span = sum(gaps)
    start = last - datetime.timedelta(days=span)
    if start < first_day:  # squeeze the history into last year + this year
        available = max((last - first_day).days, len(gaps))
        gaps = [max(1, g * available // max(span, 1)) for g in gaps]
        start = last - datetime.timedelta(days=sum(gaps))
    day = start
    plan.steps.append(Step(path[0], day, "新建项目" if path[0] == "reserve" else "项目策划包装入库"))
    for stage, gap in zip(path[1:], gaps):
        day += datetime.timedelta(days=gap)
        plan.steps.append(Step(stage, day, _stage_note(stage, plan)))
    if dropped:
        day += datetime.timedelta(days=gaps[-1])
        plan.steps.append(Step("dropped", day, reason=rng.choice(DROP_REASONS)))
    plan.next_step = NEXT_STEPS[plan.steps[-1].stage]
    if plan.steps[-1].stage in ("packaged", "negotiating"):
        plan.expected_sign_date = min(
            datetime.date(today.year, 12, 31),
            today + datetime.timedelta(days=rng.randint(10, 120)))


def _stage_note(stage, plan):
    return {
        "packaged": "完成项目策划包装，纳入专班项目库。",
        "negotiating": f"与{plan.investor}开展实质性洽谈。",
        "signed": "举行签约仪式。",
        "started": "项目开工建设。",
        "producing": "项目竣工投产。",
        "at_capacity": "项目达产达效。",
    }.get(stage, "")


def _reached(plan, stage):
    """Date the plan first reached (or skipped past) ``stage``; None when never."""
    target = pipeline.ORDER.index(stage)
    for step in plan.steps:
        if step.stage in pipeline.ORDER and pipeline.ORDER.index(step.stage) >= target:
            return step.on
    return None


def _scale_to_strength(plans, tf, today, rng):
    """Scale amounts so the task force's packaged/signed values this year land near
    strength × time share × annual target (mixed performance across task forces)."""
    time_share = Decimal(max(today.month - 1, 1)) / 12  # months fully elapsed
    goal_packaged = ANNUAL_PACKAGED * time_share * Decimal(str(tf["strength"]))
    goal_signed = ANNUAL_SIGNED * time_share * Decimal(str(tf["strength"])) \
        * Decimal(str(round(rng.uniform(0.85, 1.15), 2)))
    this_year = [p for p in plans if (_reached(p, "packaged") or datetime.date.min).year
                 == today.year]
    current = sum((p.planned for p in this_year), Decimal(0))
    if current:
        factor = goal_packaged / current
        for p in this_year:
            p.planned = _round100(p.planned * factor)
    for p in plans:
        if _reached(p, "signed"):
            p.contract = _round100(p.planned * Decimal(str(round(rng.uniform(0.5, 1.0), 2))))
            p.signing_grade = rng.choices(["contract", "framework", "intent"], [6, 3, 1])[0]
    signed_this_year = [p for p in plans if (_reached(p, "signed") or datetime.date.min).year
                        == today.year]
    current = sum((p.contract for p in signed_this_year), Decimal(0))
    if current:
        factor = goal_signed / current
        for p in signed_this_year:
            p.contract = _round100(p.contract * factor)
            p.planned = max(p.planned, p.contract)


def _money_events(plan, today, rng):
    """Fund receipts for projects under way, and some capital increases."""
    signed_on = _reached(plan, "signed")
    if signed_on is None:
        return
    started_on = _reached(plan, "started")
    dropped = plan.steps[-1].stage == "dropped"
    if started_on is not None:
        # Receipts every 1-4 months from the start, until the contract value is in.
        end = plan.steps[-1].on if dropped else today
        left = plan.contract * Decimal(str(round(rng.uniform(0.6, 1.0), 2)))
        day = started_on + datetime.timedelta(days=rng.randint(5, 40))
        while day <= end and left >= 100:
            amount = min(left, _round100(plan.contract * Decimal(str(rng.uniform(0.05, 0.2)))))
            plan.funds.append(_receipt(plan, day, amount, rng))
            left -= amount
            day += datetime.timedelta(days=rng.randint(30, 120))
    elif not dropped and not plan.stale:
        # Signed, not started yet: registered capital paid in every 1-2 months.
        day = signed_on + datetime.timedelta(days=rng.randint(10, 45))
        while day <= today:
            amount = _round100(plan.contract * Decimal(str(rng.uniform(0.02, 0.06))))
            plan.funds.append(_receipt(plan, day, amount, rng))
            day += datetime.timedelta(days=rng.randint(30, 65))
    if not dropped and not plan.stale and rng.random() < 0.2 \
            and (today - signed_on).days > 90:
        day = signed_on + datetime.timedelta(days=rng.randint(60, (today - signed_on).days))
        amount = _round100(plan.contract * Decimal(str(round(rng.uniform(0.1, 0.4), 2))))
        plan.increases.append((day, amount, "企业追加投资（增资扩产）。"))


def _balance_county_funds(plans, today):
    """Scale this year's receipts per county so 到位资金 to date grows by COUNTY_GROWTH
    over the same period last year (some counties beat the +20% goal, some miss it)."""
    same_day_last_year = _same_day(today, today.year - 1)
    for code, growth in COUNTY_GROWTH.items():
        mine = [p for p in plans if p.county == code]
        last = sum((f[1] for p in mine for f in p.funds
                    if f[0].year == today.year - 1 and f[0] <= same_day_last_year), Decimal(0))
        now = sum((f[1] for p in mine for f in p.funds if f[0].year == today.year), Decimal(0))
        if not last or not now:
            continue
        # Meet in the middle: this year's receipts shrink as much as last year's grow.
        factor = (last * (1 + Decimal(str(growth))) / now).sqrt()
        for p in mine:
            p.funds = [_scaled(f, factor) if f[0].year == today.year else
                       _scaled(f, 1 / factor) if f[0].year == today.year - 1
                       and f[0] <= same_day_last_year else f for f in p.funds]


def _same_day(day, year):
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


def _scaled(receipt, factor):
    day, amount, currency, original, rate, layer = receipt
    if currency == "USD":
        original = max(Decimal("0.01"), (original * factor).quantize(Decimal("0.01")))
        return (day, (original * rate).quantize(Decimal("0.01")), currency, original, rate, layer)
    return (day, max(Decimal(1), (amount * factor).quantize(Decimal(1))), currency, None, None,
            layer)


def _receipt(plan, day, amount, rng):
    if plan.capital_type == "foreign":
        rate = Decimal("7.1200")
        original = (amount / rate).quantize(Decimal("0.01"))
        return (day, (original * rate).quantize(Decimal("0.01")), "USD", original, rate, "境外")
    layer = "市外省内" if plan.investor_region == "省内" else "省外"
    return (day, amount, "CNY", None, None, layer)


# --- apply: write the plan through the services ----------------------------------

def _password(app):
    return app.config.get("SEED_PASSWORD") or instance_secret(
        app.instance_path, "seed_password", lambda: secrets.token_urlsafe(9))


def _ensure_base(password):
    """Counties, task forces, demo users and memberships (found or created)."""
    from tracker.models import County, Membership, TaskForce, TaskForceCounty, User
    from tracker.services import audit
    counties = {}
    for code, name, kind in COUNTIES:
        county = County.get_or_none(County.code == code)
        if county is None:
            county = County.create(code=code, name=name, kind=kind)
            audit.record(None, "county", county.id, "create", None, audit.snapshot(county))
        counties[code] = county
    teams = {}
    for spec in TASK_FORCES:
        team = TaskForce.get_or_none(TaskForce.code == spec["code"])
        if team is None:
            team = TaskForce.create(**{k: spec[k] for k in (
                "code", "name", "kind", "industry", "lead_department", "leader")})
            audit.record(None, "task_force", team.id, "create", None, audit.snapshot(team))
            TaskForceCounty.insert_many([{"task_force": team.id, "county": counties[c].id}
                                         for c in spec["counties"]]).execute()
        teams[spec["code"]] = team
    users = {}
    for username, role, display_name, codes in DEMO_USERS:
        user = User.get_or_none(User.username == username)
        if user is None:
            user = User(username=username, role=role, display_name=display_name,
                        email=f"{username}@example.com")
            user.set_password(password)
            user.save()
            audit.record(None, "user", user.id, "create", None,
                         audit.snapshot(user, ["username", "role", "display_name", "email"]))
            for code in codes:
                Membership.get_or_create(user=user, task_force=teams[code])
        users[username] = user
    return counties, teams, users


def _apply_project(plan, index, teams, counties, owners):
    from tracker.services import projects as svc
    team = teams[plan.task_force]
    first = plan.steps[0]
    at_signed = pipeline.rank(first.stage) >= pipeline.rank(pipeline.SIGNED)
    project = svc.create_project(
        None, task_force=team, name=plan.name, investor=plan.investor,
        planned_investment=plan.planned, on=first.on, stage=first.stage, note=first.note,
        contract_value=plan.contract if at_signed else None,
        signing_grade=plan.signing_grade if at_signed else None,
        county=counties[plan.county], investor_region=plan.investor_region,
        capital_type=plan.capital_type, industry=plan.industry, tags=plan.tags,
        owner=_pick(owners.get(plan.task_force), index), contact=plan.contact, next_step=plan.next_step,
        problems=plan.problems, expected_sign_date=plan.expected_sign_date)
    # Interleave stage steps, receipts and increases in date order.
    events = [(s.on, 0, "stage", s) for s in plan.steps[1:]]
    events += [(f[0], 1, "funds", f) for f in plan.funds]
    events += [(c[0], 2, "increase", c) for c in plan.increases]
    for _, _, kind, item in sorted(events, key=lambda e: (e[0], e[1])):
        if kind == "stage":
            signing = item.stage == pipeline.SIGNED
            svc.change_stage(None, project, item.stage, on=item.on, note=item.note,
                             reason=item.reason,
                             contract_value=plan.contract if signing else None,
                             signing_grade=plan.signing_grade if signing else None)
        elif kind == "funds":
            day, amount, currency, original, rate, layer = item
            svc.record_funds(None, project, received_on=day, currency=currency,
                             amount=None if currency == "USD" else amount,
                             original_amount=original, exchange_rate=rate, source_layer=layer,
                             evidence=f"银行进账单 {day:%Y%m%d}-{project.id:04d}")
        else:
            day, amount, note = item
            svc.add_capital_increase(None, project, on=day, amount=amount, note=note)
    return project


def _pick(items, index):
    return items[index % len(items)] if items else None


def after_seed(app, echo):
    """Hook point: later areas (e.g. annual targets) add their demo data here.
    Called inside the seed transaction after projects exist; must be idempotent."""
    from tracker import clock
    from tracker.services.targets import seed_demo_targets
    written, bases = seed_demo_targets(clock.today())
    if written or bases:
        echo(f"年度目标：新增 {written} 个目标版本，{bases} 个区县手工基数。")


def run(if_empty=False, echo=print):
    """Load the demo data into the current app's database (needs an app context)."""
    from flask import current_app

    from tracker import clock
    from tracker.db import database
    from tracker.models import Project

    app = current_app._get_current_object()
    password = _password(app)
    if if_empty and Project.select().exists():
        echo("项目台账已有数据，跳过演示数据导入（--if-empty）。")
        _print_logins(app, password, echo)
        return {"skipped": True, "created": 0}
    today = clock.today()
    created = 0
    with database.atomic():
        counties, teams, users = _ensure_base(password)
        owners = {}
        for username, _, _, codes in DEMO_USERS:
            for code in codes:
                owners.setdefault(code, []).append(users[username])
        existing = {(tf_id, name, investor) for tf_id, name, investor in
                    Project.select(Project.task_force, Project.name, Project.investor).tuples()}
        for index, plan in enumerate(build_plan(today)):
            if (teams[plan.task_force].id, plan.name, plan.investor) in existing:
                continue
            _apply_project(plan, index, teams, counties, owners)
            created += 1
        after_seed(app, echo)
    echo(f"演示数据：新建 {created} 个项目（共 {Project.select().count()} 个）。")
    _print_logins(app, password, echo)
    return {"skipped": False, "created": created}


def _print_logins(app, password, echo):
    from tracker.models import User
    base = (app.config.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    echo(f"登录地址：{base}/login")
    for username, role, display_name, _ in DEMO_USERS:
        if User.select().where(User.username == username).exists():
            echo(f"  {role:<7} 用户名 {username:<7} 密码 {password}  （{display_name}）")
    echo("（演示账号密码来自 TRACKER_SEED_PASSWORD 或实例目录的 seed_password 文件；"
         "如已修改密码则以修改后为准。）")


def main(argv=None):
    import argparse

    from tracker import create_app
    parser = argparse.ArgumentParser(description="Load the tracker demo data.")
    parser.add_argument("--if-empty", action="store_true",
                        help="only seed when the ledger has no projects")
    args = parser.parse_args(argv)
    app = create_app()
    with app.app_context():
        run(if_empty=args.if_empty)


