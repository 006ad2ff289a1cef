"""Application configuration read from the environment, with safe development defaults."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def instance_path() -> Path:
    """Return the instance folder: KB_INSTANCE_PATH, or ./instance next to this file."""
    return Path(os.environ.get("KB_INSTANCE_PATH", BASE_DIR / "instance")).resolve()


def load_or_create_secret_key(folder: Path) -> str:
    """Return SECRET_KEY from the environment, else from the instance folder, creating it once."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings for development and production; every value can come from the environment."""

    INSTANCE_PATH = instance_path()
    ENVIRONMENT = os.environ.get("KB_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY")  # else generated in the instance folder
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_PATH / 'kunskapsbanken.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "whoosh")
    WHOOSH_INDEX_PATH = None  # <instance>/whoosh-index unless set
    SEARCH_SYNC = os.environ.get("KB_SEARCH_SYNC", "thread")  # thread | sync | off
    # /readyz reports "not ready" when a due search outbox row has waited this long.
    OUTBOX_STUCK_SECONDS = int(os.environ.get("KB_OUTBOX_STUCK_SECONDS", "300"))
    # One JSON line per request on stderr (kb/ops/request_log.py); no personal data.
    REQUEST_LOG = _flag("KB_REQUEST_LOG", True)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("KB_SECURE_COOKIES", ENVIRONMENT == "production")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None

    BABEL_DEFAULT_LOCALE = "sv"
    BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
    LANGUAGES = ("sv", "en")

    LOGIN_MAX_FAILURES = int(os.environ.get("KB_LOGIN_MAX_FAILURES", "5"))
    LOGIN_LOCKOUT_MINUTES = int(os.environ.get("KB_LOGIN_LOCKOUT_MINUTES", "15"))
    # Per client address, whatever the account: this many failed sign-ins within the window
    # refuse further attempts from that address until the window has passed.
    LOGIN_IP_MAX_FAILURES = int(os.environ.get("KB_LOGIN_IP_MAX_FAILURES", "20"))
    LOGIN_IP_WINDOW_MINUTES = int(os.environ.get("KB_LOGIN_IP_WINDOW_MINUTES", "15"))
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (werkzeug ProxyFix);
    # 0 when clients reach the app directly, who could otherwise choose their own address.
    PROXY_FIX_HOPS = int(os.environ.get("KB_PROXY_FIX_HOPS", "0"))
    PASSWORD_MIN_LENGTH = int(os.environ.get("KB_PASSWORD_MIN_LENGTH", "12"))
    # Strict-Transport-Security is sent in production only (a development server has no TLS).
    HSTS_SECONDS = int(os.environ.get("KB_HSTS_SECONDS", "31536000"))
    # Retention (flask kb retention): experience narratives older than this many years are
    # anonymised ("anonymise": the free text is replaced) or removed ("remove": emptied);
    # the structured ratings that feed the aggregates stay. 0 turns the rule off.
    RETENTION_YEARS = int(os.environ.get("KB_RETENTION_YEARS", "10"))
    RETENTION_ACTION = os.environ.get("KB_RETENTION_ACTION", "anonymise")
    MIN_GROUP_SIZE = int(os.environ.get("KB_MIN_GROUP_SIZE", "3"))
    # A supplier is flagged for an event-driven follow-up (kb/deviations/flags.py) when, within
    # the window, it has this many deviations, or this many critical, or this many high or worse.
    FLAG_WINDOW_DAYS = int(os.environ.get("KB_FLAG_WINDOW_DAYS", "365"))
    FLAG_DEVIATION_COUNT = int(os.environ.get("KB_FLAG_DEVIATION_COUNT", "3"))
    FLAG_CRITICAL_COUNT = int(os.environ.get("KB_FLAG_CRITICAL_COUNT", "1"))
    FLAG_HIGH_COUNT = int(os.environ.get("KB_FLAG_HIGH_COUNT", "2"))
    PAGE_SIZE = 50
    # OCDS publishing (kb/exchange/ocds.py). The default ocid prefix is fictional: a publisher
    # registers its own with the Open Contracting Partnership before publishing.
    OCDS_OCID_PREFIX = os.environ.get("KB_OCDS_OCID_PREFIX", "ocds-test01-kb")
    OCDS_PUBLISHER_NAME = os.environ.get("KB_OCDS_PUBLISHER_NAME", "Kunskapsbanken")
    OCDS_PUBLISHER_URI = os.environ.get("KB_OCDS_PUBLISHER_URI")
    OCDS_BASE_URL = os.environ.get("KB_OCDS_BASE_URL")  # for the CLI; the API uses the request


class TestConfig(Config):
    """Settings for the test suite: a throwaway instance folder and database per test."""

    TESTING = True
    ENVIRONMENT = "test"
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SEARCH_SYNC = "off"  # search tests switch it to "sync"
    REQUEST_LOG = False  # the records still reach pytest's log capture
    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
