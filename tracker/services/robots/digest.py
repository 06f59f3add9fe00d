"""The weekly digest for the group robots: a short markdown message per task force with
robots (its figures against the targets in a few lines and a link to the team page) and
one for the bureau's robots (the city totals). services.mail.summaries hands over the
figures it already collected for the week's mails (a :class:`Digest` per scope); the
message key is ``weekly:<week>``, so building the week again enqueues nothing new."""
from dataclasses import dataclass

from ...models import GroupRobot
from .queue import Notice, enqueue

MAX_LINES = 8


@dataclass(frozen=True)
class Line:
    """One metric as the digest says it: "签约额 3.20/20.00 亿元（16.0%，欠进度）"."""
    label: str
    actual: str
    target: str           # "" when no target is set
    unit: str
    completion: str = ""  # "16.0%"
    status: str = ""      # 达到进度 / 欠进度 / ...

    def text(self):
        figure = f"{self.actual}/{self.target}" if self.target else self.actual
        notes = "，".join(p for p in (self.completion, self.status) if p)
        return f"- {self.label}：{figure} {self.unit}" + (f"（{notes}）" if notes else "")


@dataclass(frozen=True)
class Digest:
    task_force_id: int | None      # None: the city digest for the bureau's robots
    name: str                      # the team's name, or "全市"
    week_key: str                  # "2026-W49"
    lines: tuple                   # (Line, ...)
    notes: tuple = ()              # further one-line remarks (排名, 督办逾期 ...)
    link: str = ""                 # the team page / the dashboard


def scopes_with_robots():
    """{task_force_id or None} of the scopes that have a live robot: only their digests
    are worth rendering."""
    return {tf for (tf,) in GroupRobot.select(GroupRobot.task_force).where(GroupRobot.state == "ok")
            .distinct().tuples()}


def markdown(digest):
    """The digest's markdown: a heading, the figures, the remarks, the link."""
    parts = [f"### {digest.name}招商周报（{digest.week_key}）"]
    parts.extend(line.text() for line in digest.lines[:MAX_LINES])
    parts.extend(f"> {note}" for note in digest.notes)
    if digest.link:
        parts.append(f"[查看完整周报]({digest.link})")
    return "\n".join(parts)


def notice(digest):
    return Notice(digest.task_force_id, f"weekly:{digest.week_key}",
                  f"{digest.name}招商周报 {digest.week_key}", markdown(digest), digest.link)


def enqueue_week(digests):
    """Queue the digests for their robots (each once per robot and week); rows created."""
    return enqueue(notice(d) for d in digests)
