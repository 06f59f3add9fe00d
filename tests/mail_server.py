"""A real SMTP server for the mail tests: aiosmtpd on a free local port.

``server.messages`` holds every accepted message as an email.message.EmailMessage
(with ``envelope_from`` / ``envelope_to`` attributes). ``reject`` maps an address to
an SMTP reply ("550 ..." or "451 ...") given to RCPT TO for that address.
``stop()`` / ``start()`` take the server down and bring it back on the same port.

A slow server: with ``hold_from = n`` the server answers the DATA of the first n
messages at once and holds every later one (received: in ``arrived``, not yet in
``messages``) until ``release()``; ``wait_arrived(k)`` waits until k messages reached
the server.
"""
import asyncio
import socket
import threading
import time
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
        self.server.arrived.append(msg)
        hold = self.server.hold_from
        if hold is not None and len(self.server.arrived) > hold:
            while not self.server.released.is_set():
                await asyncio.sleep(0.02)
        self.server.messages.append(msg)
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self, port=None):
        self.port = port or free_port()
        self.messages = []
        self.arrived = []
        self.reject = {}
        self.hold_from = None
        self.released = threading.Event()
        self._controller = None

    def release(self):
        self.released.set()

    def wait_arrived(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        while len(self.arrived) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.arrived)} of {count} messages arrived")
            time.sleep(0.02)

    def start(self):
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        self.released.set()
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
