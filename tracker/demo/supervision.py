"""A handful of demo 督办 items (issue 22): open, in progress with a reply, overdue, and one
closed after a 领导批示, so the pages show something on first run. Written through
services.supervision.items as the bureau; only when there are none yet."""
import datetime


def seed(today, teams, users):
    """``teams``: {code: TaskForce}; ``users``: {username: User}. Returns how many were opened."""
    from ..models import Project, SupervisionItem
    from ..services.supervision import items
    if SupervisionItem.select().exists():
        return 0
    bureau, member, lead = users.get("bureau"), users.get("member"), users.get("lead")
    team = teams["JXHG"]
    projects = list(Project.select().where(Project.task_force == team.id).order_by(Project.id).limit(3))
    day = datetime.timedelta(days=1)

    def opened(title, problem, deadline, **kw):
        return items.open_item(bureau, title=title, problem=problem, task_force=team.id, deadline=deadline, **kw)

    first = opened("二期用地指标协调", "项目二期用地指标尚未落实，影响年内开工。", today + 5 * day, priority="key",
                   project=projects[0].id if projects else None,
                   instruction="请精细化工专班会同自然资源局本周内拿出方案。", instruction_by="分管副市长",
                   instruction_on=today - 2 * day)
    if member is not None:
        items.reply(member, first.id, "已与自然资源局对接，拟提交下周专题会研究。")
    late = opened("签约项目资金到位滞后", "三个已签约项目本季度到位资金不足签约额的一成，请说明原因。", today,
                  priority="urgent")
    SupervisionItem.update(deadline=today - 4 * day).where(SupervisionItem.id == late.id).execute()
    done = opened("洽谈项目清单报送", "请报送本专班在谈项目清单及下一步计划。", today + 10 * day)
    if lead is not None:
        items.reply(lead, done.id, "清单已报送（12个在谈项目）。")
    items.close(bureau, done.id, "已收到清单，纳入月度调度。")
    opened("重点企业走访计划", "请制定下月赴长三角走访重点企业计划。", today + 14 * day)
    return 4
