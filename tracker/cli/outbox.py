"""flask commands: ``outbox list [--week 2026-W26] [--status pending|sending|sent|failed]``."""
import click
from flask.cli import AppGroup

from .summaries import week_option

outbox_cli = AppGroup("outbox", help="The outbox of the weekly summaries (周报发件箱).")

STATUS_CHOICES = ("pending", "sending", "sent", "failed", "cancelled")
COLUMNS = ("id", "week", "kind", "recipient", "status", "attempts", "next attempt", "error")
ERROR_WIDTH = 60


def _cells(row):
    from .. import clock
    next_at = clock.to_local(row.next_attempt_at).strftime("%Y-%m-%d %H:%M") \
        if row.next_attempt_at else "-"
    error = row.error if len(row.error) <= ERROR_WIDTH else row.error[:ERROR_WIDTH - 1] + "…"
    return (str(row.id), row.week, row.kind, row.recipient, row.status, str(row.attempts),
            next_at, error or "-")


def _table(lines):
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS) - 1)]
    for line in lines:
        click.echo("  ".join([c.ljust(w) for c, w in zip(line, widths)] + [line[-1]]).rstrip())


@outbox_cli.command("list")
@click.option("--week", callback=week_option, metavar="YYYY-Www", help="ISO week, e.g. 2026-W26.")
@click.option("--status", type=click.Choice(STATUS_CHOICES),
              help="Only messages in this state (failed includes 状态未知: failed/unknown).")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True,
              help="Show at most this many messages (oldest first).")
def list_command(week, status, limit):
    """The outbox as a table: id, week, kind, recipient, status, attempts, next attempt
    (local time, pending messages only) and the last error."""
    from ..services.mail import outbox
    rows, total = outbox.operator_rows(week.key if week else None, status, limit)
    if not rows:
        click.echo("no messages")
        return
    _table([COLUMNS] + [_cells(row) for row in rows])
    if total > len(rows):
        click.echo(f"({len(rows)} of {total} shown; use --limit, --week or --status)")


def init_app(app):
    app.cli.add_command(outbox_cli)
