"""The daily job "supervision-reminders" (tracker.jobs.supervision_reminders, 08:30): the day's
督办 reminders and 60天未推进 nudges, by e-mail through the outbox and by the team's robot.

At most once, across restarts and several scheduler processes, by the unique keys the
channels already have:

- mail: OutboxMessage is unique on (week, user, kind, scope). A reminder row has the day
  ("2026-12-08") as ``week``, kind "reminder" and scope "sup:<item id>": one mail per person
  per item per day. A nudge row has kind "nudge" and scope "stale:<project id>:<silence
  start>" (services.reminders.due.episode_key) and is built only while no row of that scope
  exists: one mail per project per stale episode (two processes on the same day meet the
  unique key);
- robots: one notice per item per day (key "sup:<item id>:<day>") and per stale episode
  (the episode key) to the responsible team's robots (services.robots.queue.enqueue keeps one
  message per robot and key), @-ing the mobiles of the recipients who allow it.

Rows are built first (idempotent), then the due mail and robot messages are sent with the
channels' own guarantees; a run that leaves the day's mail waiting for a retry raises
RemindersStillPending, so the scheduler's catch-up runs it again (nothing is duplicated).
"""
from dataclasses import dataclass


from ...db import database
from ...models import OutboxMessage
from ..mail import delivery, summaries
from ..mail.mime import new_message_id
from ..mail.render import recipient_name
from ..robots import delivery as robot_delivery
from ..robots.queue import Notice, enqueue
from . import due as due_items
from . import render

CHUNK = 200


@dataclass
class DayResult:
    day: str
    reminders: int = 0      # items with a reminder today
    nudges: int = 0         # projects with a nudge due today (not sent before)
    created: int = 0        # outbox rows created
    existing: int = 0       # ... found already there (an earlier run of the day)
    notices: int = 0        # robot messages created

    def summary(self):
        return (f"{self.day}：督办提醒 {self.reminders} 项，未推进提醒 {self.nudges} 个项目；"
                f"邮件新建 {self.created} 封，已存在 {self.existing} 封；机器人消息新建 {self.notices} 条")


class RemindersStillPending(RuntimeError):
    """The day's reminder mail waits for a retry: the scheduler records the run as failed and
    its catch-up runs it again."""


def _row(day, kind, scope, user, draft, task_force_id, settings):
    return dict(week=day, kind=kind, scope=scope, user=user.id, task_force=task_force_id,
                to_addr=user.email.strip(), to_name=recipient_name(user), subject=draft.subject,
                message_id=new_message_id(settings.message_domain, kind, day, scope, f"u{user.id}"),
                unsubscribe_url="", body=draft.store())


def _mailable(user):
    return user is not None and user.active and user.remind_email and (user.email or "").strip()


def _mentions(users):
    return tuple(sorted({u.mobile for u in users if u is not None and u.robot_mention and u.mobile}))


def _existing(day, kind):
    return {(u, s) for u, s in OutboxMessage.select(OutboxMessage.user, OutboxMessage.scope)
            .where((OutboxMessage.week == day) & (OutboxMessage.kind == kind)).tuples()}


def _reminders(today, settings, mail_settings, result):
    """(outbox rows, robot notices) of the day's reminders."""
    day = today.isoformat()
    have = _existing(day, delivery.REMINDER_KIND)
    rows, notices = [], []
    for item_due in due_items.reminders_due(today, settings):
        item = item_due.item
        result.reminders += 1
        scope = f"sup:{item.id}"
        context = render.reminder_context(item_due, mail_settings.links, settings.zone)
        draft = None
        for user in item_due.recipients:
            if not _mailable(user):
                continue
            if (user.id, scope) in have:
                result.existing += 1
                continue
            draft = draft or render.reminder_draft(context)
            rows.append(_row(day, delivery.REMINDER_KIND, scope, user, draft, item.task_force_id, mail_settings))
        title, markdown = render.reminder_markdown(context)
        notices.append(Notice(item.task_force_id, f"{scope}:{day}", title, markdown, context["link"],
                              mentions=_mentions(item_due.recipients)))
    return rows, notices


def _sent_episodes(keys):
    if not keys:
        return set()
    return {s for (s,) in OutboxMessage.select(OutboxMessage.scope).where(
        (OutboxMessage.kind == delivery.NUDGE_KIND) & OutboxMessage.scope.in_(sorted(keys))).tuples()}


def _nudges(today, settings, mail_settings, result):
    """(outbox rows, robot notices) of the nudges due today whose episode has no mail yet."""
    day = today.isoformat()
    found = due_items.nudges_due(today, settings)
    sent = _sent_episodes({due_items.episode_key(n.flag) for n in found})
    rows, notices = [], []
    for nudge in found:
        key = due_items.episode_key(nudge.flag)
        if key in sent:
            continue
        result.nudges += 1
        context = render.nudge_context(nudge, mail_settings.links, settings.schedule)
        if _mailable(nudge.owner):
            rows.append(_row(day, delivery.NUDGE_KIND, key, nudge.owner, render.nudge_draft(context),
                             nudge.flag.task_force_id, mail_settings))
        title, markdown = render.nudge_markdown(context)
        notices.append(Notice(nudge.flag.task_force_id, key, title, markdown, context["link"],
                              mentions=_mentions([nudge.owner])))
    return rows, notices


def _insert(rows, result):
    """Insert the rows, CHUNK per statement, skipping those another run stored meanwhile."""
    summaries.insert_rows(rows, CHUNK, result)


def build(today, settings, mail_settings):
    """Store the day's reminder and nudge mails and enqueue their robot notices (existing
    ones are left as they are). ``settings``: ReminderSettings; ``mail_settings``: the
    MailSettings (links, Message-ID domain). Returns the DayResult."""
    result = DayResult(today.isoformat())
    rows, notices = _reminders(today, settings, mail_settings, result)
    more_rows, more_notices = _nudges(today, settings, mail_settings, result)
    _insert(rows + more_rows, result)
    result.notices = enqueue(notices + more_notices)
    return result


def waiting(today):
    """The day's reminder and nudge mails waiting for a retry (pending; the ones another
    sender holds right now are that sender's business)."""
    return OutboxMessage.select().where(
        (OutboxMessage.week == today.isoformat()) & OutboxMessage.kind.in_(sorted(delivery.REMINDER_KINDS))
        & (OutboxMessage.status == "pending")).count()


def run(today, settings, mail_settings, robot_settings=None):
    """The scheduled job: build the day's reminders, send the due mail (and the robots' due
    messages when ``robot_settings`` is given; else the robots' own sweep sends them).
    Returns a zh-CN summary; RemindersStillPending while the day's mail waits for a retry."""
    with database.connection_context():
        built = build(today, settings, mail_settings)
        detail = f"{built.summary()}；{delivery.send_pending(mail_settings).summary()}"
        if robot_settings is not None:
            detail += f"；{robot_delivery.send_pending(robot_settings).summary()}"
        left = waiting(today)
        if left:
            raise RemindersStillPending(f"{detail}；{left} 封待重试")
        return detail
