"""Weekly summaries: building the week's outbox rows, the weekly job and the preview.

Building and sending are separate steps. ``build_week`` renders each summary once per
scope -- "tf:<id>" for a task-force summary, "city" for the bureau summary -- stores
it once (OutboxBody) and writes one outbox row per (week, recipient, kind, scope)
under a unique constraint, with the recipient's name and unsubscribe link that fill
in the shared body; building the same week again creates nothing.
``tracker.services.mail.delivery.send_pending`` delivers the rows.

What the mails say is collected in ``summary_data`` and rendered in ``summary_render``.
"""
from dataclasses import dataclass

from peewee import IntegrityError

from ...db import database
from ...domain.errors import NotFound
from ...domain.weeks import last_week, parse_week
from ...models import OutboxMessage, User
from .. import tx
from . import delivery, robot_digest
from .mime import new_message_id
from .data import city_recipients, collect, task_force_recipients
from .render import city_draft, messages_for, recipient_name, store_drafts, task_force_draft
from .unsubscribe import unsubscribe_links


@dataclass
class BuildResult:
    week: str
    created: int = 0
    existing: int = 0
    robots: int = 0          # robot digests queued (services.robots)

    def summary(self):
        text = f"{self.week}：新建 {self.created} 封，已存在 {self.existing} 封"
        return text + (f"，机器人周报 {self.robots} 条" if self.robots else "")


def row_fields(week, user, msg, settings):
    """Fields of the outbox row that sends ``msg`` (a Rendered) to ``user``."""
    return _row_fields(week, user, msg.draft, msg.unsubscribe, settings)


def _row_fields(week, user, draft, unsubscribe, settings):
    return dict(week=week.key, kind=draft.kind, scope=draft.scope, user=user.id,
                task_force=draft.task_force_id, to_addr=user.email.strip(),
                to_name=recipient_name(user), subject=draft.subject[:255],
                message_id=new_message_id(settings.message_domain, "summary", week.key,
                                          draft.scope, f"u{user.id}"),
                unsubscribe_url=unsubscribe, body=draft.store())


def _wanted(data):
    """[(user, kind, scope, make)] of every summary the week sends; ``make()`` renders the
    scope's Draft on first use only."""
    drafts = {}

    def draft(scope, make):
        if scope not in drafts:
            drafts[scope] = make()
        return drafts[scope]

    wanted = [(user, "bureau", "city", lambda: draft("city", lambda: city_draft(data)))
              for user in city_recipients()]
    rows = {r.task_force_id: r for r in data.report.rows}
    for tf_id, users in task_force_recipients(list(rows)).items():
        scope = f"tf:{tf_id}"

        def make(s=scope, r=rows[tf_id]):
            return draft(s, lambda: task_force_draft(data, r))
        wanted.extend((user, "task_force", scope, make) for user in users)
    return wanted, drafts


def _missing(week, data, result):
    """[(user, Draft)] of the summaries with no row yet; only their scopes are rendered
    and stored."""
    existing = {(u, k, s) for u, k, s in OutboxMessage
                .select(OutboxMessage.user, OutboxMessage.kind, OutboxMessage.scope)
                .where(OutboxMessage.week == week.key).tuples()}
    wanted, drafts = _wanted(data)
    todo = []
    for user, kind, scope, make in wanted:
        if (user.id, kind, scope) in existing:
            result.existing += 1
            continue
        existing.add((user.id, kind, scope))
        todo.append((user, make()))
    store_drafts(drafts.values())
    return todo


def insert_rows(rows, chunk, result):
    """Insert the outbox rows ``rows`` (dicts), ``chunk`` per statement; a chunk that
    meets a row another build stored meanwhile goes row by row, skipping those (counted in
    ``result.created`` / ``result.existing``; the reminders use it too)."""
    columns, values = _as_tuples(rows)
    for start in range(0, len(rows), chunk):
        batch = rows[start:start + chunk]
        try:
            with tx.write():
                OutboxMessage.insert_many(values[start:start + chunk], fields=columns).execute()
            result.created += len(batch)
            continue
        except IntegrityError:
            pass   # another build stored some of these meanwhile: go row by row
        for fields in batch:
            try:
                with tx.write():
                    OutboxMessage.insert(**fields).execute()
                result.created += 1
            except IntegrityError:
                result.existing += 1


def build_week(week, settings, chunk=200):
    """Render and store the week's summaries; existing rows are left untouched."""
    if isinstance(week, str):
        week = parse_week(week)
    result = BuildResult(week.key)
    data = collect(week, settings)
    todo = _missing(week, data, result)
    link = unsubscribe_links(settings.signer, settings.links)
    rows = [_row_fields(week, user, d, link(user), settings) for user, d in todo]
    insert_rows(rows, chunk, result)
    result.robots = robot_digest.enqueue_week(data)
    return result


def _as_tuples(rows):
    """(columns, value tuples) of dict rows with the same keys, the model's defaults
    filled in once: peewee inserts tuples with named columns about twice as fast as
    dicts (it looks each dict value up under several keys)."""
    if not rows:
        return [], []
    names = list(rows[0])
    defaults = {f: d() if callable(d) else d for f, d in OutboxMessage._meta.defaults.items()
                if f.name not in rows[0]}
    fields = OutboxMessage._meta.fields
    tail = tuple(defaults.values())
    return ([fields[n] for n in names] + list(defaults),
            [tuple(row[n] for n in names) + tail for row in rows])


class MailStillPending(RuntimeError):
    """Raised by the weekly job while mail of the week waits for a retry, so the
    scheduler records the run as failed and its hourly catch-up runs it again."""


def weekly_job(as_of, settings):
    """The scheduler's weekly job (Mondays 08:00; tracker.jobs.weekly_summaries runs it in
    the app's context): build and send the summaries of the ISO week before ``as_of``
    with ``settings`` (MailSettings). Building is idempotent and sending claims rows one
    by one, so re-running it (catch-up, retries, a second process) never duplicates mail."""
    with database.connection_context():
        week = last_week(as_of)
        built = build_week(week, settings)
        sent = delivery.send_pending(settings)
        detail = f"{built.summary()}；{sent.summary()}"
        waiting = OutboxMessage.select().where(
            (OutboxMessage.week == week.key)
            & OutboxMessage.status.in_(("pending", "sending"))).count()
        if waiting:
            raise MailStillPending(f"{detail}；{waiting} 封待重试")
        return detail


@dataclass
class Preview:
    user: User
    messages: list       # [Rendered]


def preview(username, week, settings):
    """The summaries user ``username`` would get for ``week`` (nothing is stored or
    sent; the opt-out is ignored). Raises NotFound for an unknown user."""
    user = User.get_or_none(User.username == (username or "").strip())
    if user is None:
        raise NotFound(f"用户「{username}」不存在。")
    return Preview(user, messages_for(collect(week, settings), user))


def default_week(week, today):
    """``week``, or the ISO week before ``today``."""
    return week or last_week(today)

