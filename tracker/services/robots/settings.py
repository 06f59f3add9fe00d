"""The robot settings, read once from the app's config at the entry point (view, CLI
command, scheduler job: ``RobotSettings.from_config(app.config, links)``) and handed to
the robot services, which never read the app's config. Defaults: tracker.config.Defaults
(ROBOT_*)."""
from dataclasses import dataclass
from datetime import timedelta

from ...config import setting
from ..links import Links

RETRY_BASE = 60          # seconds before the 2nd attempt after a network error; doubles
RETRY_MAX = 3600         # longest wait between two attempts
RATE_WAIT = 60           # seconds a robot that answered "too many messages" is left alone
BATCH = 50               # rows claimed per commit (each answer has its own)


def _bool(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _hosts(value):
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return tuple(str(h).strip().lower() for h in value or () if str(h).strip())


@dataclass(frozen=True)
class RobotSettings:
    allowed_hosts: tuple = ("qyapi.weixin.qq.com", "oapi.dingtalk.com")
    allow_http: bool = False
    timeout: float = 10.0        # seconds per POST
    per_minute: int = 20         # messages per robot per 60 s
    max_attempts: int = 5        # the last attempt's failure marks the row failed
    retry_base: int = RETRY_BASE
    retry_max: int = RETRY_MAX
    rate_wait: int = RATE_WAIT
    batch: int = BATCH
    links: Links | None = None   # absolute URLs of the digests' links

    @classmethod
    def from_config(cls, config, links=None):
        return cls(
            allowed_hosts=_hosts(setting(config, "ROBOT_ALLOWED_HOSTS"))
            + _hosts(setting(config, "ROBOT_EXTRA_HOSTS")),
            allow_http=_bool(setting(config, "ROBOT_ALLOW_HTTP")),
            timeout=float(setting(config, "ROBOT_TIMEOUT")),
            per_minute=max(1, int(setting(config, "ROBOT_PER_MINUTE"))),
            max_attempts=max(1, int(setting(config, "ROBOT_MAX_ATTEMPTS"))),
            links=links)

    @property
    def lease(self):
        """How long a claimed row may stay 'sending' before it is taken as crashed: far
        above one POST's timeout (each answer renews the claim of the rows still to go)."""
        return timedelta(seconds=max(300, int(self.timeout * 10)))

    def backoff(self, attempts):
        """Delay before the next attempt after ``attempts`` failed ones."""
        return timedelta(seconds=min(self.retry_max, self.retry_base * 2 ** max(0, attempts - 1)))
