"""The reminder and nudge mails (templates/email/reminder.*, nudge.*: zh-CN, the item's or
project's link, the deadline, the days overdue, the last 进展反馈) and the group robots'
markdown of the same notice. A mail is rendered once per item (or project) with
RECIPIENT_MARK where each recipient's name goes, and stored once (OutboxBody)."""
from dataclasses import dataclass

from flask import render_template

from ... import clock
from ...domain import pipeline, reminders
from ...domain import supervision as rules
from ...models import OutboxBody
from ...models.mail import RECIPIENT_MARK
from ..mail.mime import compact_html

REMINDER_PREFIX = "【督办提醒】"
NUDGE_PREFIX = "【项目提醒】"
EXCERPT = 200       # characters of the problem and the last reply a message quotes


@dataclass
class Draft:
    subject: str
    text: str
    html: str
    body_id: int | None = None

    def store(self):
        """Id of the stored body (stored on first use; a body another run stored meanwhile is
        found, OutboxBody.store_many)."""
        if self.body_id is None:
            self.body_id = OutboxBody.store(self.text, self.html, "{}")
        return self.body_id


def excerpt(text, limit=EXCERPT):
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _person(user):
    return str(user) if user is not None else ""


def reminder_context(due, links, zone):
    """What the reminder templates and the robot's markdown say about ``due`` (a DueReminder)."""
    item, reply = due.item, due.last_reply
    responsible = getattr(item, "responsible_user", None) if item.responsible_id else None
    return dict(
        recipient=RECIPIENT_MARK, item=item, reminder=due.reminder, team=item.task_force.name,
        project=item.project.name if item.project_id and item.project else "",
        responsible=_person(responsible), priority=rules.priority_label(item.priority),
        state=rules.state_label(item.state), problem=excerpt(item.problem),
        overdue_days=due.reminder.days if due.reminder.kind == reminders.OVERDUE else 0,
        reply_on=clock.to_local(reply.created_at, zone).date() if reply else None,
        reply_by=_person(reply.user) if reply and reply.user_id else "",
        reply_text=excerpt(reply.text) if reply else "",
        link=links.url("supervision.show", item_id=item.id), prefs=links.url("prefs.summary"))


def reminder_draft(context):
    subject = f"{REMINDER_PREFIX}{context['reminder'].label}：{context['item'].title}"
    return Draft(subject[:255], render_template("email/reminder.txt", **context),
                 compact_html(render_template("email/reminder.html", **context)))


def reminder_markdown(context):
    """(title, markdown) of the robot's notice of a reminder."""
    item = context["item"]
    lines = [f"**督办提醒：{context['reminder'].label}**", f"> {item.title}", "",
             f"- 责任专班：{context['team']}"]
    if context["project"]:
        lines.append(f"- 所属项目：{context['project']}")
    lines.append(f"- 责任人：{context['responsible'] or '未指定（专班成员和负责人）'}")
    deadline = f"- 办理期限：{item.deadline.isoformat()}"
    if context["overdue_days"]:
        deadline += f"（已逾期 {context['overdue_days']} 天）"
    lines.append(deadline)
    if context["reply_on"]:
        lines.append(f"- 最近反馈：{context['reply_on'].isoformat()} {context['reply_by']}："
                     f"{excerpt(context['reply_text'], 80)}")
    else:
        lines.append("- 最近反馈：尚无")
    lines.append(f"\n[查看并反馈]({context['link']})")
    return f"督办提醒：{item.title}"[:120], "\n".join(lines)


def nudge_context(due, links, schedule):
    """What the nudge templates and the robot's markdown say about ``due`` (a DueNudge)."""
    flag = due.flag
    return dict(recipient=RECIPIENT_MARK, flag=flag, owner=_person(due.owner),
                stage=pipeline.label(flag.stage),
                label=f"{schedule.nudge_days}天未推进", days=flag.days_silent,
                link=links.url("projects.detail", project_id=flag.project_id),
                prefs=links.url("prefs.summary"))


def nudge_draft(context):
    flag = context["flag"]
    subject = f"{NUDGE_PREFIX}{flag.project_name}已{context['label']}"
    return Draft(subject[:255], render_template("email/nudge.txt", **context),
                 compact_html(render_template("email/nudge.html", **context)))


def nudge_markdown(context):
    """(title, markdown) of the robot's notice of a nudge."""
    flag = context["flag"]
    lines = [f"**项目提醒：{flag.project_name}已{context['label']}**", "",
             f"- 责任专班：{flag.task_force_name}", f"- 阶段：{context['stage']}",
             f"- 责任人：{context['owner'] or '未指定'}",
             f"- 最近进展：{flag.last_progress_on.isoformat()}（已 {context['days']} 天无进展）",
             f"\n[查看项目]({context['link']})"]
    return f"项目提醒：{flag.project_name}"[:120], "\n".join(lines)
