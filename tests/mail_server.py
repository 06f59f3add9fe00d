"""A real SMTP server for the mail tests: aiosmtpd on a free local port.

``server.messages`` holds every accepted message as an email.message.EmailMessage
(with ``envelope_from`` / ``envelope_to`` attributes). ``reject`` maps an address to
an SMTP reply ("550 ..." or "451 ...") given to RCPT TO for that address.
``stop()`` / ``start()`` take the server down and bring it back on the same port.
"""
import socket
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.server.reject.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = BytesParser(policy=policy.default).parsebytes(envelope.original_content
                                                            or envelope.content)
        msg.envelope_from = envelope.mail_from
        msg.envelope_to = list(envelope.rcpt_tos)
        self.server.messages.append(msg)
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self, port=None):
        self.port = port or free_port()
        self.messages = []
        self.reject = {}
        self._controller = None

    def start(self):
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def config(self):
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "MAIL_FROM": "zhaoshang@example.test"}

    def by_message_id(self):
        out = {}
        for msg in self.messages:
            out.setdefault(msg["Message-ID"], []).append(msg)
        return out


def parts(msg):
    """(text, html) bodies of a multipart/alternative message (line ends as \\n)."""
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    return text.replace("\r\n", "\n"), html.replace("\r\n", "\n")
