"""The mail settings, read once from the app's config at the entry point (CLI command,
scheduler job, view: tracker.settings.mail) and handed to the mail services, which
never read the app's config.

Besides the SMTP settings they carry what a summary's content needs: ``links`` (the
absolute URLs, services.links.Links, made by the edge from the app), ``signer`` (a
:class:`Signer`: SECRET_KEY and UNSUBSCRIBE_MAX_AGE_DAYS, for the unsubscribe tokens of
services.mail.unsubscribe; the unsubscribe page gets one alone) and ``progress`` (how the
numbers are judged, services.progress.options).

The defaults live in ``tracker.config.Defaults`` (MAIL_*).
"""
import os
from dataclasses import dataclass, field
from datetime import timedelta

from ...config import Defaults, setting
from ..links import Links
from ...domain.activity_index import DEFAULT_WEIGHTS
from ..progress.options import ProgressOptions, options_from


def _truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


@dataclass(frozen=True)
class Signer:
    """What signs and judges the unsubscribe links (services.mail.unsubscribe): the app's
    SECRET_KEY and UNSUBSCRIBE_MAX_AGE_DAYS."""
    secret: str
    max_age_days: int = Defaults.UNSUBSCRIBE_MAX_AGE_DAYS


def signer_from(config):
    """The Signer of a config mapping (SECRET_KEY required; the age: tracker.config.Defaults
    when missing)."""
    return Signer(config["SECRET_KEY"], int(setting(config, "UNSUBSCRIBE_MAX_AGE_DAYS")))


@dataclass(frozen=True)
class MailSettings:
    from_addr: str
    server: str | None          # None: .eml files in ``eml_dir`` instead of SMTP
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    use_ssl: bool
    timeout: float              # seconds, per SMTP operation
    max_attempts: int           # the last attempt's failure marks the row failed
    retry_base: int             # seconds before the 2nd attempt; doubles per attempt
    retry_max: int              # longest wait between two attempts
    sending_lease: int          # seconds a claimed row may stay 'sending'
    batch: int                  # rows claimed per commit (each result has its own)
    eml_dir: str                # instance/outbox
    links: Links | None = None  # absolute URLs of the mails' links
    signer: Signer | None = None    # unsubscribe tokens
    progress: ProgressOptions = field(default_factory=ProgressOptions)
    activity_weights: dict = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))   # 招商活跃指数

    @classmethod
    def from_config(cls, config, instance_path, links=None):
        """The settings of a config mapping; ``links`` as the edge made them."""
        def get(name):
            return setting(config, name)

        use_ssl = _truthy(config.get("MAIL_USE_SSL"))
        return cls(
            from_addr=get("MAIL_FROM"),
            server=config.get("MAIL_SERVER") or None,
            port=int(config.get("MAIL_PORT") or (465 if use_ssl else 25)),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD"),
            use_tls=_truthy(config.get("MAIL_USE_TLS")),
            use_ssl=use_ssl,
            timeout=float(get("MAIL_TIMEOUT")),
            max_attempts=int(get("MAIL_MAX_ATTEMPTS")),
            retry_base=int(get("MAIL_RETRY_BASE")),
            retry_max=int(get("MAIL_RETRY_MAX")),
            sending_lease=int(get("MAIL_SENDING_LEASE")),
            batch=max(1, int(get("MAIL_BATCH"))),
            eml_dir=os.path.join(instance_path, "outbox"),
            links=links, signer=signer_from(config), progress=options_from(config),
            activity_weights=dict(get("ACTIVITY_WEIGHTS")),
        )

    @property
    def message_domain(self):
        """The domain of Message-IDs: the sender address's."""
        return (self.from_addr or "localhost").rpartition("@")[2] or "localhost"

    @property
    def lease(self):
        return timedelta(seconds=self.sending_lease)

    def backoff(self, attempts):
        """Delay before the next attempt after ``attempts`` failed ones."""
        return timedelta(seconds=min(self.retry_max,
                                     self.retry_base * 2 ** max(0, attempts - 1)))
