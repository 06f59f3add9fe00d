"""Configuration defaults. Order: these defaults, then ``instance/config.py``,
then ``TRACKER_*`` environment variables, then the mapping given to create_app."""
import os
import secrets


class Defaults:
    DATABASE_URL = None  # filled in by create_app: sqlite:///<instance>/tracker.db
    TIMEZONE = "Asia/Shanghai"
    PER_PAGE = 25
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Mail (issue: weekly summaries). No server -> .eml files in instance/outbox.
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_FROM = "tracker@localhost"
    BASE_URL = "http://127.0.0.1:5000"


def load_secret_key(instance_path):
    """Return the secret key kept in the instance folder, creating it once."""
    path = os.path.join(instance_path, "secret_key")
    try:
        with open(path, encoding="ascii") as fh:
            key = fh.read().strip()
            if key:
                return key
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key
