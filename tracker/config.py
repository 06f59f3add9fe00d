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


def load_secret_key(instance_path):
    """The app's secret key, generated once into ``instance/secret_key``."""
    return instance_secret(instance_path, "secret_key")
