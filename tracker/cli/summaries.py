"""flask commands: ``summaries build [--week 2026-W26]``, ``summaries send``,
``summaries preview --user NAME``."""
import sys

import click
from flask.cli import AppGroup

from ..domain.weeks import parse_week

summaries_cli = AppGroup("summaries", help="Weekly emailed summaries (周报) and their outbox.")


def week_option(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_week(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _default_week(week):
    from .. import clock
    from ..services.mail import summaries
    return summaries.default_week(week, clock.today())


def _settings():
    from .. import settings
    return settings.mail()


@summaries_cli.command("build")
@click.option("--week", callback=week_option, metavar="YYYY-Www",
              help="ISO week, e.g. 2026-W26 (default: last week).")
def build(week):
    """Render the week's summaries into the outbox (existing rows stay untouched)."""
    from ..services.mail import summaries
    result = summaries.build_week(_default_week(week), _settings())
    click.echo(result.summary())


SEND_HELP = """Deliver due pending messages (SMTP, or .eml files without MAIL_SERVER).

With --retry-now, the pending messages waiting for their retry time (after an
outage) are due at once.

\b
Exit status 1 when this run
- marked messages failed (refused for good, or their last attempt),
- marked messages left by a crashed send failed (state unknown, 状态未知), or
- leaves messages waiting for their retry time (their number and the
  earliest/latest retry time, local time, are printed);
else 0."""


def _waiting_line(result):
    from .. import clock
    first, last = (clock.to_local(t).strftime("%Y-%m-%d %H:%M") for t in result.waiting_until)
    until = first if first == last else f"{first} ～ {last}"
    return f"{result.waiting} 封等待重试，重试时间 {until}（{clock.zone().key}）"


@summaries_cli.command("send", help=SEND_HELP)
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Send at most this many messages.")
@click.option("--retry-now", is_flag=True,
              help="Messages waiting for their retry time are due now (audited).")
def send(limit, retry_now):
    from ..services.mail import delivery, outbox as outbox_admin
    from .errors import service_call
    with service_call():
        if retry_now:
            made_due, result = outbox_admin.retry_now_and_send(None, _settings(), limit)
            click.echo(f"立即重试：{made_due} 封等待重试的邮件改为现在发送")
        else:
            result = delivery.send_pending(_settings(), limit=limit)
    click.echo(result.summary())
    for line in result.errors[:20]:
        click.echo(f"  {line}", err=True)
    if result.waiting:
        click.echo(_waiting_line(result))
    if result.failed or result.unknown or result.waiting:
        sys.exit(1)


@summaries_cli.command("preview")
@click.option("--user", "username", required=True, help="Username of the recipient.")
@click.option("--week", callback=week_option, metavar="YYYY-Www",
              help="ISO week, e.g. 2026-W26 (default: last week).")
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the text.")
def preview(username, week, as_html):
    """Print the summaries USER would get (nothing is stored or sent)."""
    from ..domain.errors import NotFound
    from ..services.mail import summaries
    try:
        found = summaries.preview(username, _default_week(week), _settings())
    except NotFound:
        raise click.UsageError(f"用户「{username}」不存在。") from None
    user = found.user
    if not found.messages:
        raise click.UsageError(f"user {username!r} gets no summary (no task force, not bureau).")
    if not user.wants_summary:
        click.echo("（注意：该用户已退订周报，实际不会发送）", err=True)
    for msg in found.messages:
        click.echo(f"Subject: {msg.subject}")
        click.echo(f"To: {user.email or '（无邮箱）'}")
        click.echo("")
        click.echo(msg.html if as_html else msg.text)
        click.echo("=" * 60)


def init_app(app):
    app.cli.add_command(summaries_cli)
