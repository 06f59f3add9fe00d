"""How a message leaves: SMTP (MAIL_SERVER set) or one .eml file per message.

A transport delivers one outbox row at a time and raises :class:`DeliveryError` for
an attempt that certainly did not deliver. The outbox (``tracker.services.mail.delivery``)
decides what the outcome means for the row.
"""
import os
import re
import smtplib
import socket
import ssl

from .mime import build_mime


class DeliveryError(Exception):
    """An attempt that certainly did not deliver. ``permanent``: do not retry;
    ``unreachable``: the server itself is unusable, stop this run."""

    def __init__(self, message, permanent=False, unreachable=False):
        super().__init__(message)
        self.permanent = permanent
        self.unreachable = unreachable


def encode(row, from_addr, eight_bit=True):
    """build_mime, with any failure to encode reported as a permanent DeliveryError."""
    try:
        return build_mime(row, from_addr, eight_bit)
    except Exception as exc:  # a message that cannot be encoded never will be
        raise DeliveryError(f"无法生成邮件：{exc!r}", permanent=True) from exc


def _text(resp):
    return resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)


def _reply(exc):
    return f"{getattr(exc, 'smtp_code', '')} {_text(getattr(exc, 'smtp_error', exc))}".strip()


class SMTPTransport:
    """One connection reused for a whole run; reconnects when the server closed an
    idle connection before a new message started."""
    name = "smtp"

    def __init__(self, settings):
        self.settings = settings
        self.host, self.port = settings.server, settings.port
        self.conn = None

    def _open(self):
        s = self.settings
        if s.use_ssl:
            conn = smtplib.SMTP_SSL(self.host, self.port, timeout=s.timeout,
                                    context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=s.timeout)
        conn.ehlo()
        if s.use_tls:
            conn.starttls(context=ssl.create_default_context())
            conn.ehlo()
        if s.username:
            conn.login(s.username, s.password or "")
        return conn

    def _connect(self):
        try:
            return self._open()
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP 登录失败：{_reply(exc)}", unreachable=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"无法连接邮件服务器 {self.host}:{self.port}：{exc}",
                                unreachable=True) from exc

    def _mail_from(self, options, fresh):
        """MAIL FROM; nothing of the message was sent yet, so a server that dropped an
        idle connection is reconnected once; a fresh connection failing is fatal."""
        from_addr = self.settings.from_addr
        try:
            return self.conn.mail(from_addr, options)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            if fresh:
                raise DeliveryError(f"邮件服务器断开了连接：{exc}", unreachable=True) from exc
        self.conn = self._connect()
        try:
            return self.conn.mail(from_addr, options)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise DeliveryError(f"邮件服务器断开了连接：{exc}", unreachable=True) from exc

    def _refused(self, what, code, resp):
        self._reset()
        raise DeliveryError(f"{what}：{code} {_text(resp)}", permanent=code >= 500)

    def _transfer(self, row, data, code, resp):
        """RCPT TO and DATA after a MAIL FROM that answered ``code``."""
        try:
            if code != 250:
                self._refused("MAIL FROM 被拒绝", code, resp)
            code, resp = self.conn.rcpt(row.to_addr)
            if code not in (250, 251):
                self._refused("收件人被拒绝", code, resp)
            code, resp = self.conn.data(data)
            if code != 250:
                self._refused("邮件内容被拒绝", code, resp)
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise DeliveryError(f"邮件服务器拒绝：{_reply(exc)}",
                                permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPServerDisconnected, OSError, socket.timeout) as exc:
            self._drop()
            raise DeliveryError(f"发送时连接中断：{exc}", unreachable=True) from exc

    def deliver(self, row):
        fresh = self.conn is None
        if fresh:
            self.conn = self._connect()
        eight_bit = self.conn.has_extn("8bitmime")
        data = encode(row, self.settings.from_addr, eight_bit)
        code, resp = self._mail_from(["BODY=8BITMIME"] if eight_bit else [], fresh)
        self._transfer(row, data, code, resp)
        return self.name

    def _reset(self):
        try:
            self.conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
        self.conn = None

    def close(self):
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()


class EmlTransport:
    """No MAIL_SERVER: each message becomes <eml_dir>/<week>/<row id>.eml (eml_dir is
    instance/outbox). The file is the proof of delivery."""
    name = "eml"

    def __init__(self, root, from_addr):
        self.root = root
        self.from_addr = from_addr

    def path_for(self, row):
        return os.path.join(self.root, re.sub(r"[^A-Za-z0-9-]", "_", row.week),
                            f"{row.id:07d}.eml")

    def delivered(self, row):
        return os.path.exists(self.path_for(row))

    def deliver(self, row):
        path = self.path_for(row)
        if os.path.exists(path):
            return self.name  # written by an attempt that crashed before recording it
        data = encode(row, self.from_addr)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise DeliveryError(f"无法写入 {path}：{exc}", unreachable=True) from exc
        return self.name

    def close(self):
        pass


def make_transport(settings):
    """The transport the settings ask for: SMTP with a MAIL_SERVER, else .eml files."""
    if settings.server:
        return SMTPTransport(settings)
    return EmlTransport(settings.eml_dir, settings.from_addr)
