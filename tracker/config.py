"""Configuration defaults. Order: these defaults, then ``instance/config.py``,
then ``TRACKER_*`` environment variables, then the mapping given to create_app."""
import datetime
import os
import secrets
from urllib.parse import urlsplit
from types import MappingProxyType


class Defaults:
    DATABASE_URL = None  # filled in by create_app: sqlite:///<instance>/tracker.db
    TIMEZONE = "Asia/Shanghai"
    PER_PAGE = 25
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_DURATION = datetime.timedelta(days=30)  # the most; sessions cap it at 30
    # Secure cookies: None = decided in create_app (on exactly when BASE_URL is https, so a
    # plain-http intranet address keeps the login); an explicit True/False wins.
    SESSION_COOKIE_SECURE = None
    REMEMBER_COOKIE_SECURE = None
    SESSION_IDLE_MINUTES = 480  # a login unused this long is refused (services.accounts.sessions)
    # Login throttling (services.accounts.throttle, issue 23): a lock per (user name, address),
    # a growing delay per user name, a lock per address high enough for an office behind NAT.
    LOGIN_ACCOUNT_LIMIT = 5    # failures for one user name from one address within the window lock the pair
    LOGIN_ADDRESS_LIMIT = 100  # failures from one address (any names) within the window lock it
    LOGIN_WINDOW_MINUTES = 15
    LOGIN_LOCKOUT_MINUTES = 15
    LOGIN_NAME_DELAY_AFTER = 5        # failures for one user name (any address): then tries are spaced
    LOGIN_NAME_DELAY_SECONDS = 2      # the first spacing; doubles with every further failure
    LOGIN_NAME_DELAY_MAX_SECONDS = 60  # the longest spacing
    LOGIN_TRUSTED_DAYS = 30    # an address this name logged in from since then is not slowed
    PASSWORD_MIN_SCORE = 3     # least zxcvbn strength (0-4) of a new password (domain.passwords)
    LOGIN_ATTEMPT_KEEP_DAYS = 90   # the nightly account-prune job deletes older login attempts
    ENDED_SESSION_KEEP_DAYS = 90   # ... and sessions ended (or dead) longer ago
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024  # bytes of a request body; larger is a 413 page
    IMPORT_MAX_BYTES = 10 * 1024 * 1024  # an uploaded .xlsx (Excel import); its page allows it
    IMPORT_JOB_ROWS = 2000  # a file with more rows is committed as a job (services.imports.jobs)
    IMPORT_PREVIEW_JOB_BYTES = 1024 * 1024  # a larger upload is judged by a preview job
    IMPORT_JOB_STALE = 60  # seconds without a beat: a running import job's worker is gone
    # Export jobs (services.exports.jobs): a larger ledger export is written by the scheduler
    EXPORT_JOB_ROWS = 5000  # rows above which /projects/export.xlsx queues an export job
    EXPORT_JOB_STALE = 60  # seconds without a beat: a running export job's worker is gone
    EXPORT_KEEP_DAYS = 3  # days a finished export's file (and its job) is kept for download
    REQUEST_LOG = True  # one line per request on stdout (method, path, status, ms, user id)
    REQUEST_LOG_HEALTHZ = False  # log successful /healthz probes too
    PROXY_COUNT = 0  # proxies in front of the app whose X-Forwarded-For is trusted (nginx: 1)
    # 通报 (services.bulletin.layout.letterhead_from, issue 20): its 落款 and optional 版头.
    BULLETIN_ISSUER = "市商务局"  # 落款 (issuing unit over the date) and the .docx author
    BULLETIN_MASTHEAD = ""  # 版头 in red above the title, e.g. "抚顺市商务局文件"; "" = none
    BULLETIN_NUMBER_PATTERN = ""  # 文号, e.g. "抚商通〔{year}〕{number}号" ({number}: quarter 1-4); "" = none
    # Progress (tracker.services.progress.options.options_from): how progress is judged.
    PROGRESS_PRECISION = "month"  # time progress counts whole months ("month") or days ("day")
    PROGRESS_STATUS_BANDS = MappingProxyType(  # gap points at which each colour starts
        {"green": 0, "yellow": -10, "orange": -30})
    FORECAST_PROBABILITIES = MappingProxyType(  # chance a pipeline project reaches the metric
        {"reserve": 0.1, "packaged": 0.3, "negotiating": 0.6})
    FORECAST_CONTRACT_SHARE = 0.2  # unsigned project without a contract value: planned x share
    COUNTY_GROWTH_GOAL = 20  # percent over last year; a county target version overrides it
    TARGET_FLOOR_YI = 1  # 亿元: a money target below it is saved only once confirmed
    AWARD_WEIGHTS = MappingProxyType(dict(performance=25, start=15, production=20, funds=20, big=10, top=10))  # awards
    # the follow-up log's target regions (走出去), in the order the forms offer them
    # 招商活跃指数: points per activity kind, multipliers, points per ledger outcome of the week
    ACTIVITY_WEIGHTS = MappingProxyType(dict(
        visit=3, reception=2, call=1, inspection=2, promotion=3, signing=4, other=1, leader_led=1.5, top_tier=1.5,
        packaged=2, negotiating=2, signed=5, started=5, funds_yi=2))
    ACTIVITY_REGIONS = ("京津冀", "长三角", "珠三角", "东北", "中西部", "日韩", "欧洲", "港澳台", "其他境外", "本地")
    RANKING_CAP_PCT = 120  # 综合完成率: each metric counts at most this completion (percent)
    # Staleness (tracker.services.staleness.flags.options_from).
    STALE_DAYS = (60, 90, 180)  # days without progress: yellow, red, proposed 退库
    # 督办 reminders and the 60天未推进 nudge (tracker.domain.reminders, services.reminders.settings)
    REMINDER_BEFORE_DAYS = 3         # a reminder this many days before the deadline (0: none)
    REMINDER_ON_DAY = True           # a reminder on the deadline itself
    REMINDER_DAILY_DAYS = 3          # overdue: every day for the first N days ...
    REMINDER_EVERY_DAYS = 7          # ... then every N days (0: none after the daily ones)
    REMINDER_PAUSE_DAYS = 2          # a 进展反馈 pauses overdue reminders on its day and the N days after
    REMINDER_NUDGE_DAYS = 60         # days without progress that nudge the project's owner (once per silence)
    REMINDER_NUDGE_LATE_DAYS = 7     # a nudge missed on the day is still sent this many days later
    # Scheduler, demo data, accounts.
    SCHEDULER_MISFIRE_GRACE = 3600  # seconds a missed job may still start late
    SCHEDULER_HEARTBEAT = 30  # seconds between a running job's heartbeats (0 = none)
    SCHEDULER_HEARTBEAT_STALE = 300  # seconds without a heartbeat: the owner elsewhere is gone
    SEED_PASSWORD = None  # demo logins; None = generated once into instance/seed_password
    PASSWORD_HASH_METHOD = None  # werkzeug method, e.g. "pbkdf2:sha256:1000"; None = scrypt
    # Mail (issue: weekly summaries). No server -> .eml files in instance/outbox.
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_FROM = "tracker@localhost"
    MAIL_TIMEOUT = 30                # seconds, per SMTP operation
    MAIL_MAX_ATTEMPTS = 5            # then the row is shown as failed
    MAIL_RETRY_BASE = 300            # seconds before the 2nd attempt; doubles per attempt
    MAIL_RETRY_MAX = 6 * 3600        # longest wait between two attempts
    MAIL_SENDING_LEASE = 900         # seconds a claimed row may stay 'sending' before it is
                                     # taken as crashed (far above the SMTP timeouts)
    MAIL_BATCH = 25                  # rows claimed (and recorded) per commit
    # Group robots (services.robots, issue 22): 企业微信 / 钉钉 webhooks.
    ROBOT_ALLOWED_HOSTS = ("qyapi.weixin.qq.com", "oapi.dingtalk.com")  # webhook hosts accepted
    ROBOT_EXTRA_HOSTS = ()           # more hosts (a private gateway; "*" = any); tests
    ROBOT_ALLOW_HTTP = False         # accept http:// webhooks too (tests, a gateway on the LAN)
    ROBOT_TIMEOUT = 10               # seconds per POST; a timeout after sending = 状态未知
    ROBOT_PER_MINUTE = 20            # messages per robot per 60 s (the robots' own limit)
    ROBOT_MAX_ATTEMPTS = 5           # then the message is shown as failed
    BASE_URL = "http://127.0.0.1:5000"
    UNSUBSCRIBE_MAX_AGE_DAYS = 365   # an unsubscribe link in a mail works this long


def setting(config, name):
    """``config[name]``, or the default of Defaults when it is missing or None."""
    value = config.get(name)
    return getattr(Defaults, name) if value is None else value


def instance_secret(instance_path, filename, make=lambda: secrets.token_hex(32)):
    """A secret kept in a file of the instance folder (mode 0600), created once by ``make()``."""
    path = os.path.join(instance_path, filename)
    try:
        with open(path, encoding="utf-8") as fh:
            value = fh.read().strip()
            if value:
                return value
    except FileNotFoundError:
        pass
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value)
    return value


def cookies_secure(config):
    """Set SESSION_COOKIE_SECURE and REMEMBER_COOKIE_SECURE where they were left None: on
    when BASE_URL is https, off for a plain-http address (a browser never sends a Secure
    cookie back over http, so the login would silently not hold: issue 23)."""
    https = urlsplit(str(config.get("BASE_URL") or "")).scheme.lower() == "https"
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if config.get(name) is None:
            config[name] = https


def load_secret_key(instance_path):
    """The app's secret key, generated once into ``instance/secret_key``."""
    return instance_secret(instance_path, "secret_key")
