"""The demo world (tracker.demo.seed): Fushun's counties and "6+N" task forces,
demo logins, fictional investors, project names, reasons and notes. Plain data;
tracker.demo.plan turns it into projects.
"""

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
