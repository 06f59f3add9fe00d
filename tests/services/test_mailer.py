"""Delivery of outbox rows over a real SMTP server (aiosmtpd) and to .eml files."""
import dataclasses
import datetime
import json
import os
import time
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser

import pytest
from flask import current_app
from peewee import IntegrityError

from tests.factories import make_user
from tests.mail_server import SMTPServer, free_port, parts
from tracker.db import database
from tracker.models import OutboxBody, OutboxMessage, utcnow
from tracker.models.mail import RECIPIENT_MARK, UNSUBSCRIBE_MARK
from tracker.services.mail import (mime, transport as mail_transport,
    delivery, decisions)
from tracker import settings as web_settings

LATER = datetime.timedelta(days=1)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FROM = "zhaoshang@example.test"


def settings():
    """The mail settings of the app of the current context (as an entry point builds them)."""
    return web_settings.mail(current_app)


def make_row(user, week="2026-W26", scope="city", kind="bureau", body_text=None,
             body_html=None, numbers="{}", **kw):
    body = OutboxBody.store(body_text if body_text is not None else f"你好 {user.username}：正文",
                            body_html if body_html is not None else f"<p>你好 {user.username}</p>",
                            numbers)
    fields = dict(week=week, kind=kind, scope=scope, user=user, to_addr=user.email,
                  to_name=str(user), subject=f"【招商专班周报】测试 · {user.username}",
                  message_id=f"<t.{week}.{scope}.{user.id}@example.test>",
                  unsubscribe_url=f"http://tracker.test/unsubscribe/tok{user.id}", body=body)
    fields.update(kw)
    return OutboxMessage.create(**fields)


def use(app, server):
    app.config.update(server.config())


def test_sends_multipart_message_and_records_it(sqlite_app, smtp):
    use(sqlite_app, smtp)
    with sqlite_app.app_context():
        row = make_row(make_user("boss", role="bureau"))
        result = delivery.send_pending(settings())
        assert (result.sent, result.retry, result.failed) == (1, 0, 0)
        [msg] = smtp.messages
        assert msg.envelope_to == ["boss@example.test"]
        assert msg.envelope_from == "zhaoshang@example.test"
        assert msg["Subject"] == "【招商专班周报】测试 · boss"
        assert msg["Message-ID"] == row.message_id
        assert msg.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
        assert parts(msg) == ("你好 boss：正文", "<p>你好 boss</p>")
        assert msg["List-Unsubscribe"] == f"<http://tracker.test/unsubscribe/tok{row.user_id}>"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        row = OutboxMessage.get_by_id(row.id)
        assert (row.status, row.attempts, row.transport, row.last_error) == ("sent", 1, "smtp", "")
        assert row.sent_at is not None
        # nothing left to send
        assert delivery.send_pending(settings()).sent == 0 and len(smtp.messages) == 1


@pytest.mark.parametrize("batch", [1, 2, 25])
def test_server_down_keeps_rows_pending_then_each_delivered_exactly_once(sqlite_app, batch):
    server = SMTPServer()          # not started: connection refused
    use(sqlite_app, server)
    sqlite_app.config["MAIL_BATCH"] = batch
    with sqlite_app.app_context():
        rows = [make_row(make_user(f"u{i}", role="bureau")) for i in range(3)]
        result = delivery.send_pending(settings())
        assert result.sent == 0 and result.retry == 1 and result.stopped
        states = {r.id: r for r in OutboxMessage.select()}
        assert {r.status for r in states.values()} == {"pending"}
        first = states[rows[0].id]
        assert first.attempts == 1 and "无法连接" in first.last_error
        assert first.next_attempt_at > utcnow()
        # the others were not attempted: claimed (if in the batch) and released untouched
        assert [(states[r.id].attempts, states[r.id].claim_token, states[r.id].last_error)
                for r in rows[1:]] == [(0, None, "")] * 2
        # still down on the next run: nothing sent, still pending
        assert delivery.send_pending(settings(), now=utcnow() + LATER).sent == 0
        assert OutboxMessage.select().where(OutboxMessage.status != "pending").count() == 0

        server.start()
        try:
            result = delivery.send_pending(settings(), now=utcnow() + 2 * LATER)
            assert result.sent == 3 and not result.stopped
            again = delivery.send_pending(settings(), now=utcnow() + 3 * LATER)
            assert again.sent == 0
            received = server.by_message_id()
            assert sorted(received) == sorted(r.message_id for r in rows)
            assert all(len(copies) == 1 for copies in received.values())
            assert OutboxMessage.select().where(OutboxMessage.status == "sent").count() == 3
        finally:
            server.stop()


def test_temporary_rejection_backs_off_and_gives_up(sqlite_app, smtp):
    use(sqlite_app, smtp)
    sqlite_app.config.update(MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_BASE=60)
    smtp.reject["busy@example.test"] = "451 4.3.0 try again later"
    with sqlite_app.app_context():
        row = make_row(make_user("busy", role="bureau"))
        ok = make_row(make_user("fine", role="bureau"))
        now = utcnow()
        result = delivery.send_pending(settings(), now=now)
        assert (result.sent, result.retry) == (1, 1)     # one refusal does not stop the run
        row = OutboxMessage.get_by_id(row.id)
        assert row.status == "pending" and row.attempts == 1 and "451" in row.last_error
        assert row.next_attempt_at == now + datetime.timedelta(seconds=60)
        # not due yet: not tried again
        assert delivery.send_pending(settings(), now=now + datetime.timedelta(seconds=30)).retry == 0
        delivery.send_pending(settings(), now=now + datetime.timedelta(seconds=61))
        row = OutboxMessage.get_by_id(row.id)
        assert row.attempts == 2 and row.next_attempt_at == \
            now + datetime.timedelta(seconds=61) + datetime.timedelta(seconds=120)
        result = delivery.send_pending(settings(), now=now + LATER)
        row = OutboxMessage.get_by_id(row.id)
        assert result.failed == 1 and (row.status, row.attempts) == ("failed", 3)
        assert OutboxMessage.get_by_id(ok.id).status == "sent"
        assert [m["To"] for m in smtp.messages] == ["fine <fine@example.test>"]


def test_permanent_rejection_fails_at_once(sqlite_app, smtp):
    use(sqlite_app, smtp)
    smtp.reject["gone@example.test"] = "550 5.1.1 no such user"
    with sqlite_app.app_context():
        row = make_row(make_user("gone", role="bureau"))
        result = delivery.send_pending(settings())
        row = OutboxMessage.get_by_id(row.id)
        assert result.failed == 1 and row.status == "failed" and row.attempts == 1
        assert "550" in row.last_error and smtp.messages == []


def test_opted_out_after_build_is_cancelled_not_sent(sqlite_app, smtp):
    use(sqlite_app, smtp)
    with sqlite_app.app_context():
        user = make_user("quit", role="bureau")
        row = make_row(user)
        user.wants_summary = False
        user.save()
        result = delivery.send_pending(settings())
        assert result.cancelled == 1 and smtp.messages == []
        assert OutboxMessage.get_by_id(row.id).status == "cancelled"


def test_without_mail_server_writes_eml_files(sqlite_app):
    with sqlite_app.app_context():
        row = make_row(make_user("boss", role="bureau"))
        assert delivery.send_pending(settings()).sent == 1
        path = os.path.join(sqlite_app.instance_path, "outbox", "2026-W26", f"{row.id:07d}.eml")
        with open(path, "rb") as fh:
            msg = BytesParser(policy=policy.default).parse(fh)
        assert msg["Message-ID"] == row.message_id
        assert parts(msg)[0] == "你好 boss：正文"
        row = OutboxMessage.get_by_id(row.id)
        assert (row.status, row.transport) == ("sent", "eml")


def test_outbox_row_is_unique_per_week_recipient_kind_scope(db):
    user = make_user("boss", role="bureau")
    make_row(user)
    with pytest.raises(IntegrityError):
        with database.atomic():
            make_row(user, message_id="<other@example.test>")
    make_row(user, week="2026-W27", message_id="<w27@example.test>")   # another week is fine
    assert OutboxMessage.select().count() == 2


def test_a_row_is_claimed_by_one_sender_only(db):
    row = make_row(make_user("boss", role="bureau"))
    now = utcnow()
    first = delivery._claim(row, now, "smtp")
    second = delivery._claim(row, now, "smtp")
    assert first and second is None
    row = OutboxMessage.get_by_id(row.id)
    assert (row.status, row.attempts, row.claim_token) == ("sending", 1, first)


def test_a_batch_claims_only_the_rows_no_other_sender_holds(db):
    rows = [make_row(make_user(f"u{i}", role="bureau")) for i in range(3)]
    now = utcnow()
    other = delivery._claim(rows[1], now, "smtp")
    token, claimed = delivery._claim_rows(rows, now, "smtp")
    assert other and claimed == {rows[0].id, rows[2].id}
    assert OutboxMessage.get_by_id(rows[1].id).claim_token == other
    assert OutboxMessage.get_by_id(rows[2].id).claim_token == token
    assert delivery._claim_rows(rows, now, "smtp")[1] == set()     # all held now


def test_crashed_smtp_send_is_not_repeated_automatically(app):
    """A row left in 'sending' (crash after the server may have accepted it) is
    marked failed once its lease ran out, never resent on its own."""
    server = SMTPServer().start()
    use(app, server)
    try:
        with app.app_context():
            row = make_row(make_user("boss", role="bureau"))
            claimed_at = utcnow() - datetime.timedelta(minutes=5)
            assert delivery._claim(row, claimed_at, "smtp", claimed_at=claimed_at)
            # within the lease: left alone (a live sender may be talking to the server)
            assert delivery.send_pending(settings()).sent == 0
            assert OutboxMessage.get_by_id(row.id).status == "sending"
            # lease expired: failed with "state unknown", nothing sent
            result = delivery.send_pending(settings(), now=claimed_at + datetime.timedelta(minutes=16))
            row = OutboxMessage.get_by_id(row.id)
            assert result.reaped == 1 and result.sent == 0 and server.messages == []
            assert row.status == "failed" and row.last_error == delivery.UNCERTAIN_ERROR
            # a person decides to resend: same Message-ID, delivered once
            assert decisions.requeue(row.id) == row.id
            assert delivery.send_pending(settings()).sent == 1
            assert [m["Message-ID"] for m in server.messages] == [row.message_id]
    finally:
        server.stop()


def test_crashed_eml_write_is_resolved_from_the_file(app):
    with app.app_context():
        written = make_row(make_user("a", role="bureau"))
        lost = make_row(make_user("b", role="bureau"))
        old = utcnow() - datetime.timedelta(hours=1)
        transport = mail_transport.EmlTransport(settings().eml_dir, FROM)
        for row in (written, lost):
            assert delivery._claim(row, old, "eml", claimed_at=old)
        transport.deliver(written)     # crash after writing
        result = delivery.send_pending(settings())
        assert result.reaped == 2
        written, lost = OutboxMessage.get_by_id(written.id), OutboxMessage.get_by_id(lost.id)
        assert written.status == "sent" and written.attempts == 1   # not written twice
        assert lost.status == "sent" and lost.attempts == 2         # requeued, then written
        assert os.path.exists(transport.path_for(lost))


def test_idle_connection_closed_by_server_is_reopened(sqlite_app, smtp):
    use(sqlite_app, smtp)
    with sqlite_app.app_context():
        a = make_row(make_user("a", role="bureau"))
        b = make_row(make_user("b", role="bureau"))
        transport = mail_transport.make_transport(settings())
        transport.deliver(a)
        transport.conn.sock.close()           # the server side went away between messages
        transport.deliver(b)
        transport.close()
        assert [m["Message-ID"] for m in smtp.messages] == [a.message_id, b.message_id]


def test_unreachable_port_reports_connection_error(sqlite_app):
    sqlite_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    with sqlite_app.app_context():
        make_row(make_user("a", role="bureau"))
        result = delivery.send_pending(settings())
        assert result.stopped and "无法连接邮件服务器" in result.errors[0]


def test_large_message_is_stored_and_sent_whole(app):
    """A city summary of many task forces exceeds 64 KB (MySQL TEXT): kept whole."""
    with app.app_context():
        html = "<p>" + "专班排名" * 30000 + "</p>"      # ~360 KB in UTF-8
        row = make_row(make_user("boss", role="bureau"), body_html=html, body_text="长" * 30000)
        stored = OutboxMessage.get_by_id(row.id)
        assert stored.body_html == html and len(stored.body_text) == 30000
        assert delivery.send_pending(settings()).sent == 1


@pytest.mark.parametrize("eight_bit, text, expected", [
    (True, "第一行\n第二行", ("8bit", "8bit")),
    (False, "第一行\n第二行", ("base64", "base64")),
    (True, "很长" * 400, ("base64", "8bit")),      # a 2400-byte line cannot go as 8bit
])
def test_message_encoding(sqlite_app, eight_bit, text, expected):
    with sqlite_app.app_context():
        row = make_row(make_user("boss", role="bureau"), body_text=text,
                       body_html="<p>甲</p>\n<p>乙</p>")
        data = mime.build_mime(row, FROM, eight_bit=eight_bit)
        assert all(len(line) <= 998 for line in data.split(b"\r\n"))
        assert b"\n" not in data.replace(b"\r\n", b"")            # CRLF line ends only
        msg = BytesParser(policy=policy.default).parsebytes(data)
        assert tuple(p["Content-Transfer-Encoding"] for p in msg.iter_parts()) == expected
        assert parts(msg) == (text, "<p>甲</p>\n<p>乙</p>")
        assert msg["Subject"] == row.subject and msg["To"] == "boss <boss@example.test>"


def test_compact_html_joins_lines_without_changing_the_text():
    html = "<table>\n  <tr>\n    <td>甲</td>\n  </tr>\n</table>\n" * 200
    compact = mime.compact_html(html)
    assert len(compact.split("\n")) < 20
    assert all(len(line.encode()) <= 900 for line in compact.split("\n"))
    assert compact.replace("\n", " ").split() == html.split()


def test_shared_body_goes_out_with_each_recipients_name_and_link(sqlite_app):
    """One stored body, filled in per row: HTML-escaped in the HTML part, the line
    length judged after filling in (a long name can push a line past 8bit)."""
    text = f"{RECIPIENT_MARK}，您好：\n正文\n退订周报：{UNSUBSCRIBE_MARK}"
    html = (f"<p>{RECIPIENT_MARK}，您好：</p>\n<p>{'甲' * 300}{RECIPIENT_MARK}</p>\n"
            f'<a href="{UNSUBSCRIBE_MARK}">退订周报</a>')
    with sqlite_app.app_context():
        short = make_row(make_user("a", role="bureau", display_name="<张&三>"),
                         body_text=text, body_html=html,
                         unsubscribe_url="http://tracker.test/unsubscribe/t?a=1&b=2")
        long = make_row(make_user("b", role="bureau", display_name="李" * 40),
                        body_text=text, body_html=html)
        broken = make_row(make_user("c", role="bureau", display_name="王\n五"),
                          body_text=text, body_html=html)
        assert short.body_id == long.body_id == broken.body_id
        assert OutboxBody.select().count() == 1
        for row, encodings in ((short, ("8bit", "8bit")), (long, ("8bit", "base64")),
                               (broken, ("8bit", "8bit"))):
            row = OutboxMessage.get_by_id(row.id)
            msg = BytesParser(policy=policy.default).parsebytes(mime.build_mime(row, FROM))
            assert tuple(p["Content-Transfer-Encoding"] for p in msg.iter_parts()) == encodings
            assert parts(msg) == (row.body_text, row.body_html)
            assert RECIPIENT_MARK not in row.body_html + row.body_text
        assert short.body_text == \
            "<张&三>，您好：\n正文\n退订周报：http://tracker.test/unsubscribe/t?a=1&b=2"
        assert short.body_html.startswith("<p>&lt;张&amp;三&gt;，您好：</p>")
        assert 'href="http://tracker.test/unsubscribe/t?a=1&amp;b=2"' in short.body_html


def test_body_stored_by_another_process_meanwhile_is_reused(app, monkeypatch):
    """Two builds store the same summary at once: the unique digest keeps one copy."""
    with app.app_context():
        first = OutboxBody.store("甲", "<p>甲</p>")
        real = OutboxBody._ids.__func__
        lookups = []

        def late_lookup(cls, digests, latest=False):     # the first look misses the other's body
            lookups.append(digests)
            return {} if len(lookups) == 1 else real(cls, digests, latest)

        monkeypatch.setattr(OutboxBody, "_ids", classmethod(late_lookup))
        ids = OutboxBody.store_many([("甲", "<p>甲</p>", "{}"), ("乙", "<p>乙</p>", "{}")])
        assert ids[0] == first and len(set(ids)) == 2
        assert OutboxBody.select().count() == 2
        assert OutboxBody.get_by_id(ids[1]).body_text == "乙"


@pytest.mark.parametrize("attempt", range(3))
def test_two_processes_storing_the_same_body_at_once_share_it(app, attempt):
    """Real threads, one connection each: both get the one stored copy (on MariaDB the second
    look reads past the transaction's snapshot)."""
    from tests.races import run_together

    def store():
        return OutboxBody.store_many([(f"同{attempt}", "<p>同</p>", "{}")])[0]
    outcomes = run_together(app, store, store)
    assert [error for _id, error in outcomes] == [None, None]
    with app.app_context():
        assert outcomes[0][0] == outcomes[1][0] == OutboxBody.get(
            OutboxBody.digest == OutboxBody.digest_of(f"同{attempt}", "<p>同</p>", "{}")).id


def test_long_non_ascii_headers_are_encoded_words_on_short_lines(sqlite_app):
    name = "招商专班" * 16                                   # 64 characters, 192 octets
    subject = "【招商专班周报】2026年第26周 · " + "精细化工产业招商专班" * 5
    with sqlite_app.app_context():
        row = make_row(make_user("boss", role="bureau", display_name=name), subject=subject)
        data = mime.build_mime(row, FROM)
        head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        encoded = [line for line in head if b"=?utf-8?b?" in line]
        assert len(encoded) > 8 and all(len(line) <= 76 for line in encoded)
        msg = BytesParser(policy=policy.default).parsebytes(data)
        assert msg["Subject"] == subject
        assert msg["To"].addresses[0].addr_spec == "boss@example.test"
        # (the policy parser puts a space between the words of a display name)
        raw_to = BytesParser().parsebytes(data)["To"]
        assert str(make_header(decode_header(raw_to))) == f"{name} <boss@example.test>"
        assert msg["From"].addresses[0].display_name == mime.FROM_NAME


def test_row_whose_user_was_removed_is_cancelled(sqlite_app, smtp):
    use(sqlite_app, smtp)
    with sqlite_app.app_context():
        gone = make_row(make_user("gone", role="bureau"))
        kept = make_row(make_user("kept", role="bureau"))
        OutboxMessage.update(user=None).where(OutboxMessage.id == gone.id).execute()
        result = delivery.send_pending(settings())
        assert (result.sent, result.cancelled) == (1, 1)
        assert [m["Message-ID"] for m in smtp.messages] == [kept.message_id]
        gone = OutboxMessage.get_by_id(gone.id)
        assert (gone.status, gone.last_error) == ("cancelled", "收件人已停用")


def test_mail_settings_come_from_config_defaults_and_overrides(sqlite_app):
    from tracker.config import Defaults
    s = web_settings.mail(sqlite_app)
    assert (s.max_attempts, s.retry_base, s.retry_max, s.sending_lease, s.timeout, s.batch) == (
        Defaults.MAIL_MAX_ATTEMPTS, Defaults.MAIL_RETRY_BASE, Defaults.MAIL_RETRY_MAX,
        Defaults.MAIL_SENDING_LEASE, Defaults.MAIL_TIMEOUT, Defaults.MAIL_BATCH)
    assert s.server is None and s.eml_dir == os.path.join(sqlite_app.instance_path, "outbox")
    sqlite_app.config.update(MAIL_RETRY_BASE="60", MAIL_RETRY_MAX=200, MAIL_BATCH=0,
                             MAIL_FROM="a@mail.example.test", MAIL_USE_SSL="yes", MAIL_PORT=None)
    s = web_settings.mail(sqlite_app)
    assert [s.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 200, 200]
    assert s.batch == 1 and s.port == 465 and s.use_ssl
    assert s.message_domain == "mail.example.test"
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.batch = 5


def test_settings_are_passed_in_not_read_from_the_app(sqlite_app):
    """The services use the settings they are given: no app context needed to claim
    and record (here: a lease of one minute makes a two-minute-old claim stale)."""
    with sqlite_app.app_context():
        row = make_row(make_user("boss", role="bureau"))
        old = utcnow() - datetime.timedelta(minutes=2)
        assert delivery._claim(row, old, "smtp", claimed_at=old)
        short = dataclasses.replace(settings(), sending_lease=60)
        assert delivery.reap_stale_sending(settings()) == 0         # default lease: 15 min
        assert delivery.reap_stale_sending(short) == 1
        assert OutboxMessage.get_by_id(row.id).status == "failed"


def test_a_line_break_in_a_name_cannot_inject_a_header(sqlite_app):
    """Header values come from email.header: a name with a line break (ASCII or
    not) becomes encoded words, never a header line of its own."""
    with sqlite_app.app_context():
        for name in ("boss\nBcc: victim@example.test", "王\n五"):
            row = make_row(make_user(f"u{len(name)}", role="bureau"), to_name=name)
            data = mime.build_mime(row, FROM)
            head = data.split(b"\r\n\r\n", 1)[0]
            assert b"\r\nBcc:" not in head and b"\n\n" not in head
            msg = BytesParser(policy=policy.default).parsebytes(data)
            assert msg["Bcc"] is None
            assert msg["To"].addresses[0].addr_spec == row.to_addr


def test_requeue_only_a_failed_row_with_one_audit_row(app):
    from tracker.domain.errors import NotFound, ValidationError
    from tracker.models import AuditLog
    with app.app_context():
        boss = make_user("boss", role="bureau")
        row = make_row(boss)
        with pytest.raises(ValidationError) as exc:
            decisions.requeue(row.id, boss)                     # pending: refused
        assert exc.value.errors == {"status": decisions.ONLY_FAILED}
        with pytest.raises(NotFound):
            decisions.requeue(row.id + 1000, boss)
        assert AuditLog.select().count() == 0
        OutboxMessage.update(status="failed", attempts=5, last_error="550 gone").where(
            OutboxMessage.id == row.id).execute()
        assert decisions.requeue(row.id, boss) == row.id
        row = OutboxMessage.get_by_id(row.id)
        assert (row.status, row.attempts, row.last_error, row.message_id) == (
            "pending", 0, "", f"<t.2026-W26.city.{boss.id}@example.test>")
        [entry] = AuditLog.select()
        assert (entry.action, entry.entity, entry.entity_id, entry.user_id) == (
            "resend", "outbox_message", row.id, boss.id)
        # only what changed is recorded (next_attempt_at and claim_token were empty)
        assert json.loads(entry.before) == {"status": "failed", "attempts": 5,
                                            "last_error": "550 gone"}
        assert json.loads(entry.after) == {"status": "pending", "attempts": 0, "last_error": ""}


# -- recovery: results per message, crashes, retry now, exit status, outbox list ------

def _states(rows):
    return [OutboxMessage.get_by_id(r.id).status for r in rows]


def test_each_answer_is_recorded_before_the_next_message_starts(sqlite_app, smtp, monkeypatch):
    """While message n+1 is being delivered, message n is already committed as sent
    and the ones after n+1 are still claimed (never attempted)."""
    use(sqlite_app, smtp)
    with sqlite_app.app_context():
        rows = [make_row(make_user(f"u{i}", role="bureau")) for i in range(3)]
        seen = []
        real = mail_transport.SMTPTransport.deliver

        def deliver(self, row):
            seen.append(_states(rows))
            return real(self, row)

        monkeypatch.setattr(mail_transport.SMTPTransport, "deliver", deliver)
        assert delivery.send_pending(settings()).sent == 3
        assert seen == [["sending"] * 3, ["sent", "sending", "sending"],
                        ["sent", "sent", "sending"]]


def test_a_slow_batch_renews_its_claim_and_a_quick_one_does_not(sqlite_app, smtp, monkeypatch):
    """The rows still to go are re-claimed in an answer's commit once a tenth of the lease has
    passed (a slow server never lets the claim run out), not after every message."""
    use(sqlite_app, smtp)
    with sqlite_app.app_context():
        rows = [make_row(make_user(f"u{i}", role="bureau")) for i in range(3)]
        clock_now = [1000.0]
        monkeypatch.setattr(time, "monotonic", lambda: clock_now[0])
        claims = []
        real = mail_transport.SMTPTransport.deliver

        def deliver(self, row):
            claims.append(OutboxMessage.get_by_id(rows[2].id).claimed_at)
            if len(claims) == 2:       # the second message is slow: most of a lease's tenth
                clock_now[0] += settings().lease.total_seconds() / delivery.RENEW_PARTS + 1
            return real(self, row)

        monkeypatch.setattr(mail_transport.SMTPTransport, "deliver", deliver)
        assert delivery.send_pending(settings()).sent == 3
        assert claims[0] == claims[1]          # a quick answer: no renewal
        assert claims[2] > claims[1]           # after the slow one: the last row re-claimed


def test_a_crash_in_the_middle_leaves_only_the_message_in_flight_in_doubt(app):
    """The reaper of an expired claim: the lowest id still held was in flight (failed,
    state unknown), the rows after it were never attempted (back to pending)."""
    with app.app_context():
        rows = [make_row(make_user(f"u{i}", role="bureau")) for i in range(4)]
        old = utcnow() - datetime.timedelta(hours=1)
        token, claimed = delivery._claim_rows(rows, old, "smtp", claimed_at=old)
        assert len(claimed) == 4
        OutboxMessage.update(status="sent", sent_at=old).where(
            OutboxMessage.id == rows[0].id).execute()          # answered before the crash
        result = delivery.SendResult()
        assert delivery.reap_stale_sending(settings(), result=result) == 3
        assert result.unknown == 1
        states = [OutboxMessage.get_by_id(r.id) for r in rows]
        assert [(r.status, r.outcome, r.attempts) for r in states] == [
            ("sent", "", 1), ("failed", "unknown", 1), ("pending", "", 0), ("pending", "", 0)]
        assert states[1].last_error == delivery.UNCERTAIN_ERROR
        assert states[1].status_label == "状态未知"
        assert states[2].claim_token is None


def _send_env(app, server):
    env = dict(os.environ, TRACKER_DATABASE_URL=app.config["DATABASE_URL"],
               TRACKER_SECRET_KEY="test-secret", TRACKER_MAIL_SERVER="127.0.0.1",
               TRACKER_MAIL_PORT=str(server.port), TRACKER_MAIL_FROM=FROM,
               TRACKER_MAIL_BATCH="25")
    return env


def test_killed_sender_leaves_accepted_mail_sent_and_one_message_in_doubt(app):
    """``flask summaries send`` against a slow server, SIGKILLed while the second
    message waits for the server's answer: the first is recorded as sent, only the
    second is in doubt, the rest go out on the next run and the one in doubt never
    goes out again on its own."""
    import signal
    import subprocess
    import sys
    server = SMTPServer()
    server.hold_from = 1
    server.start()
    try:
        with app.app_context():
            rows = [make_row(make_user(f"u{i}", role="bureau")) for i in range(4)]
            database.close()
        factory = f"tracker:create_app(instance_path={app.instance_path!r})"
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", factory, "summaries",
                                 "send"], cwd=ROOT, env=_send_env(app, server),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            server.wait_arrived(2)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        server.release()
        with app.app_context():
            assert [m["Message-ID"] for m in server.arrived] == [r.message_id for r in rows[:2]]
            assert _states(rows) == ["sent", "sending", "sending", "sending"]
            # the next run after the lease: one in doubt, the never-attempted two sent
            use(app, server)
            later = utcnow() + datetime.timedelta(minutes=16)
            result = delivery.send_pending(settings(), now=later)
            assert (result.reaped, result.unknown, result.sent) == (3, 1, 2)
            assert _states(rows) == ["sent", "failed", "sent", "sent"]
            assert OutboxMessage.get_by_id(rows[1].id).outcome == "unknown"
            assert delivery.send_pending(settings(), now=later).sent == 0
            sent_ids = [m["Message-ID"] for m in server.arrived]
            assert sorted(sent_ids) == sorted(r.message_id for r in rows)   # each once
    finally:
        server.stop()


def test_confirm_delivered_only_for_a_message_in_doubt(app):
    from tracker.domain.errors import ValidationError
    from tracker.models import AuditLog
    with app.app_context():
        boss = make_user("boss", role="bureau")
        row = make_row(boss)
        with pytest.raises(ValidationError) as exc:            # pending: not in doubt
            decisions.confirm_delivered(row.id, boss, settings())
        assert exc.value.errors == {"status": decisions.ONLY_IN_DOUBT}
        old = utcnow() - datetime.timedelta(hours=1)
        assert delivery._claim(row, old, "smtp", claimed_at=old)
        # still 'sending' after its lease: in doubt already before the reaper ran
        assert decisions.in_doubt(OutboxMessage.get_by_id(row.id), settings())
        assert decisions.confirm_delivered(row.id, boss, settings()) == row.id
        row = OutboxMessage.get_by_id(row.id)
        assert (row.status, row.outcome, row.status_label) == ("sent", "confirmed", "已确认送达")
        [entry] = AuditLog.select().where(AuditLog.action == "confirm_delivered")
        assert (entry.entity, entry.entity_id, entry.user_id) == ("outbox_message", row.id, boss.id)
        assert json.loads(entry.after)["status"] == "sent"
        # a plain failure (550) is certain: it cannot be confirmed, only resent
        other = make_row(make_user("x", role="bureau"), status="failed", last_error="550 gone")
        with pytest.raises(ValidationError):
            decisions.confirm_delivered(other.id, boss, settings())


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=["summaries", "send", *args])


def test_smtp_down_then_up_with_retry_now_delivers_at_once(app):
    """After an outage the rows wait for their retry time; ``send`` alone leaves them
    waiting (exit 1, with how many and until when), ``send --retry-now`` sends them."""
    from tracker import clock
    from tracker.models import AuditLog
    server = SMTPServer()                       # down
    use(app, server)
    with app.app_context():
        rows = [make_row(make_user(f"u{i}", role="bureau")) for i in range(3)]
    result = _invoke(app)
    assert result.exit_code == 1
    with app.app_context():
        first = OutboxMessage.get_by_id(rows[0].id)
        until = clock.to_local(first.next_attempt_at).strftime("%Y-%m-%d %H:%M")
    assert f"1 封等待重试，重试时间 {until}（Asia/Shanghai）" in result.output
    server.start()
    try:
        result = _invoke(app)                   # up, but row 1 waits for its time
        assert result.exit_code == 1 and "1 封等待重试" in result.output
        assert len(server.messages) == 2        # the two never attempted went out
        result = _invoke(app, "--retry-now")
        assert result.exit_code == 0, result.output
        assert "立即重试：1 封" in result.output and "等待重试，重试时间" not in result.output
        assert sorted(m["Message-ID"] for m in server.messages) == sorted(
            r.message_id for r in rows)
        with app.app_context():
            assert set(_states(rows)) == {"sent"}
            [entry] = AuditLog.select().where(AuditLog.action == "retry_now")
            assert (entry.entity, entry.origin, json.loads(entry.after)) == (
                "outbox", "cli", {"rows": 1})
        # nothing waiting: --retry-now writes no audit row and exits 0
        assert _invoke(app, "--retry-now").exit_code == 0
        with app.app_context():
            assert AuditLog.select().where(AuditLog.action == "retry_now").count() == 1
    finally:
        server.stop()


def test_send_help_states_the_exit_status():
    from tracker.cli.summaries import SEND_HELP
    assert "Exit status 1 when this run" in SEND_HELP
    for condition in ("marked messages failed (refused for good, or their last attempt)",
                      "marked messages left by a crashed send failed (state unknown",
                      "leaves messages waiting for their retry time", "else 0."):
        assert condition in SEND_HELP


def test_send_exit_status_matches_its_help(sqlite_app, smtp):
    use(sqlite_app, smtp)
    help_text = " ".join(_invoke(sqlite_app, "--help").output.split())
    assert "Exit status 1 when this run - marked messages failed" in help_text
    assert "--retry-now" in help_text
    with sqlite_app.app_context():
        make_row(make_user("ok", role="bureau"))
    assert _invoke(sqlite_app).exit_code == 0                     # all sent: 0
    assert _invoke(sqlite_app).exit_code == 0                     # nothing to do: 0
    smtp.reject["gone@example.test"] = "550 5.1.1 no such user"
    with sqlite_app.app_context():
        make_row(make_user("gone", role="bureau"))
    result = _invoke(sqlite_app)                                  # failed: 1
    assert result.exit_code == 1 and "失败 1 封" in result.output
    assert _invoke(sqlite_app).exit_code == 0                     # failed earlier: not this run
    with sqlite_app.app_context():
        row = make_row(make_user("crash", role="bureau"))
        old = utcnow() - datetime.timedelta(hours=1)
        assert delivery._claim(row, old, "smtp", claimed_at=old)
    result = _invoke(sqlite_app)                                  # crashed send marked failed: 1
    assert result.exit_code == 1 and "状态未知 1 封" in result.output
    smtp.reject["busy@example.test"] = "451 4.3.0 try again later"
    with sqlite_app.app_context():
        make_row(make_user("busy", role="bureau"))
    result = _invoke(sqlite_app)                                  # left waiting: 1
    assert result.exit_code == 1 and "1 封等待重试" in result.output
    assert _invoke(sqlite_app).exit_code == 1                     # still waiting: 1


def test_a_crashed_eml_write_resolved_from_its_file_exits_0(sqlite_app):
    with sqlite_app.app_context():
        row = make_row(make_user("a", role="bureau"))
        old = utcnow() - datetime.timedelta(hours=1)
        assert delivery._claim(row, old, "eml", claimed_at=old)
    result = _invoke(sqlite_app)
    assert result.exit_code == 0 and "已发送 1 封（已写入 .eml 文件" in result.output
    with sqlite_app.app_context():
        assert OutboxMessage.get_by_id(row.id).status_label == "已写入文件"


def test_outbox_list_filters_by_week_and_status(app):
    with app.app_context():
        a = make_row(make_user("a", role="bureau"), status="failed", attempts=5,
                     last_error="550 5.1.1\nno such user")
        b = make_row(make_user("b", role="bureau"), attempts=1,
                     next_attempt_at=datetime.datetime(2026, 6, 29, 0, 5))
        c = make_row(make_user("c", role="bureau"), week="2026-W27", status="sent")
        d = make_row(make_user("d", role="bureau"), status="failed", outcome="unknown")
    runner = app.test_cli_runner()

    def listed(*args):
        result = runner.invoke(args=["outbox", "list", *args])
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        return lines[0].split(), {int(line.split()[0]): line for line in lines[1:]}

    head, rows = listed()
    assert head == ["id", "week", "kind", "recipient", "status", "attempts", "next", "attempt",
                    "error"]
    assert set(rows) == {a.id, b.id, c.id, d.id}
    assert rows[a.id].split()[1:7] == ["2026-W26", "bureau", "a@example.test", "failed", "5", "-"]
    assert rows[a.id].endswith("550 5.1.1 no such user")          # one line
    assert "2026-06-29 08:05" in rows[b.id] and "pending" in rows[b.id]
    assert "failed/unknown" in rows[d.id]
    assert set(listed("--week", "2026-W27")[1]) == {c.id}
    assert set(listed("--status", "failed")[1]) == {a.id, d.id}
    assert set(listed("--week", "2026-W26", "--status", "pending")[1]) == {b.id}
    assert runner.invoke(args=["outbox", "list", "--week", "2026-W30"]).output == "no messages\n"
    bad = runner.invoke(args=["outbox", "list", "--status", "bogus"])
    assert bad.exit_code == 2 and "bogus" in bad.output
    assert runner.invoke(args=["outbox", "list", "--week", "2026-30"]).exit_code == 2
    limited = runner.invoke(args=["outbox", "list", "--limit", "2"]).output
    assert "(2 of 4 shown" in limited
