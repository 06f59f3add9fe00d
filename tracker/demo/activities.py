"""A believable year of the follow-up log for the demo task forces (issue 21): busy teams log
more, regions follow each industry, a few visits are led by a city leader, most entries name
one of the team's projects. Written through services.activities.log like a form would (as a
command: no user), deterministic for the same date, and only when the log is still empty.

An activity is linked to a project only on or before that project's last progress, so the
demo's 60天未推进 projects stay silent."""
import datetime
import random

KIND_WEIGHTS = (("visit", 5), ("reception", 3), ("call", 6), ("inspection", 2), ("promotion", 1),
                ("signing", 1), ("other", 1))
# Teams that work harder log more (an activity on how many days of ten, roughly).
BUSY = {"JXHG": 6, "GDZB": 5, "XCL": 5, "QJNY": 4, "SZJJ": 3, "XDFW": 2, "FSSH": 4, "FKJT": 2,
        "LGYL": 3, "YMJJ": 2, "FWZG": 1, "GXQZB": 4}
REGIONS = {"精细化工": ("长三角", "京津冀", "日韩"), "高端装备": ("长三角", "珠三角", "欧洲"),
           "新材料": ("长三角", "京津冀", "日韩"), "清洁能源": ("京津冀", "中西部", "欧洲"),
           "数字经济": ("珠三角", "京津冀", "长三角"), "现代服务": ("本地", "京津冀", "港澳台")}
SUMMARIES = {
    "visit": "赴{region}拜访{who}，介绍我市产业基础和用地、能耗政策，对方表示将派团实地考察。",
    "reception": "{who}一行来抚考察，参观园区并座谈，初步确定合作方向。",
    "call": "与{who}视频洽谈，就投资规模、建设周期和配套条件交换意见。",
    "inspection": "陪同{who}实地踏勘选址地块，对接水电气等要素保障。",
    "promotion": "参加{region}专场推介会，与{who}等企业对接，收集项目线索。",
    "signing": "与{who}举行签约仪式，明确后续落地时间表。",
    "other": "与{who}对接合作事宜。",
}
LEADER = "副市长"


def _weighted(rnd):
    total = sum(w for _, w in KIND_WEIGHTS)
    pick = rnd.uniform(0, total)
    for kind, weight in KIND_WEIGHTS:
        pick -= weight
        if pick <= 0:
            return kind
    return "other"


def seed(today, teams):
    """Log the demo year; ``teams``: {code: TaskForce}. Returns how many were logged."""
    from ..models import Activity, Project
    from ..services.activities import log
    if Activity.select().exists():
        return 0
    rnd = random.Random(f"activities-{today.isoformat()}")
    start = today - datetime.timedelta(days=330)
    logged = 0
    for code, team in sorted(teams.items()):
        projects = list(Project.select().where(Project.task_force == team.id).order_by(Project.id))
        regions = REGIONS.get(team.industry, ("本地", "京津冀", "长三角"))
        day = start
        while day <= today:
            if rnd.random() < BUSY.get(code, 2) / 14:
                _log_one(log, rnd, team, day, projects, regions)
                logged += 1
            day += datetime.timedelta(days=1)
    return logged


def _log_one(log, rnd, team, day, projects, regions):
    kind = _weighted(rnd)
    linked = [p for p in projects if p.last_progress_on and p.last_progress_on >= day
              and p.created_at is not None]
    project = rnd.choice(linked) if linked and rnd.random() < 0.7 else None
    who = (project.investor if project and project.investor else rnd.choice(
        ("中国化学工程集团", "万华化学", "宁德时代", "三一重工", "华为技术", "中石油昆仑", "鞍钢集团")))
    region = rnd.choice(regions)
    leader = kind in ("visit", "promotion", "signing") and rnd.random() < 0.15
    log.log(None, task_force=team.id, kind=kind, occurred_on=day, counterpart=who, region=region,
            counterpart_tags=["央企"] if "中国" in who or "中石油" in who else [],
            leader_led=leader, leader_title=LEADER if leader else "",
            summary=SUMMARIES[kind].format(region=region, who=who),
            outcome=rnd.choice(("lead", "advance", "advance", "none")),
            projects=[project.id] if project else [])
