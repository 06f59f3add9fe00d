"""What the other services hand to the group robots: a :class:`Notice` per message, and
:func:`enqueue`, which turns each into one RobotMessage per robot of its team (or of the
bureau) -- once: an existing (robot, key) is left as it is, so two scheduler processes
enqueueing the same week create each message once.
"""
import json
from dataclasses import dataclass

from ...domain.robots import CONTENT_LIMIT, cut
from ...models import GroupRobot, RobotMessage, utcnow
from .. import tx

CHUNK = 200
TITLE_MAX = 120
KEY_MAX = 120
LINK_MAX = 500


@dataclass(frozen=True)
class Notice:
    task_force_id: int | None       # None: the bureau's robots
    key: str                        # dedupe per robot, e.g. "weekly:2026-W26"
    title: str
    markdown: str
    link: str = ""
    mentions: tuple = ()            # mobile numbers a 钉钉 robot may @


def _robots(task_force_ids):
    """{task_force_id or None: [live robots]} of the teams named (None = the bureau)."""
    ids = sorted(i for i in task_force_ids if i is not None)
    scopes = [GroupRobot.task_force.in_(ids)] if ids else []
    if None in task_force_ids:
        scopes.append(GroupRobot.task_force.is_null())
    if not scopes:
        return {}
    scope = scopes[0] if len(scopes) == 1 else scopes[0] | scopes[1]
    found = {}
    for robot in (GroupRobot.select(GroupRobot.id, GroupRobot.task_force, GroupRobot.kind)
                  .where((GroupRobot.state == "ok") & scope).order_by(GroupRobot.id)):
        found.setdefault(robot.task_force_id, []).append(robot)
    return found


def _row(robot, notice, now):
    limit = CONTENT_LIMIT.get(robot.kind, 4096)
    return {"robot": robot.id, "key": notice.key[:KEY_MAX], "title": notice.title[:TITLE_MAX],
            "content": cut(notice.markdown, notice.link, limit), "link": notice.link[:LINK_MAX],
            "mentions": json.dumps(list(notice.mentions)), "status": "pending",
            "created_at": now}


def enqueue(notices):
    """One pending RobotMessage per (live robot of the notice's team, notice); the number
    of rows created. Rows whose (robot, key) exists already are skipped; broken or
    disabled robots get nothing. Runs in its own transaction or in the caller's."""
    notices = list(notices)
    if not notices:
        return 0
    now = utcnow()
    created = 0
    with tx.write():
        robots = _robots({n.task_force_id for n in notices})
        rows = [_row(robot, notice, now) for notice in notices
                for robot in robots.get(notice.task_force_id, ())]
        for start in range(0, len(rows), CHUNK):
            query = (RobotMessage.insert_many(rows[start:start + CHUNK])
                     .on_conflict_ignore().as_rowcount())
            created += query.execute() or 0
    return created
