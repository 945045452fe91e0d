"""The one settings module. Every value comes from an ``AFTERSALES_*`` variable, read here once,
with a default that works on a developer's machine (see ``.env.example``)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from platformdirs import user_data_dir

BASE_DIR = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(f"AFTERSALES_{name}", default)


def _env_bool(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


ENVIRONMENT = _env("ENV", "development")
PRODUCTION = ENVIRONMENT == "production"

_PLACEHOLDER_SECRET = "dev-only-insecure-secret-change-me"
SECRET_KEY = _env("SECRET_KEY", _PLACEHOLDER_SECRET)
if PRODUCTION and (SECRET_KEY == _PLACEHOLDER_SECRET or len(SECRET_KEY) < 32):
    raise RuntimeError("AFTERSALES_SECRET_KEY must be set to a random value of 32+ characters in production")

DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in _env("ALLOWED_HOSTS", "*" if not PRODUCTION else "").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in _env("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

DATA_DIR = Path(_env("DATA_DIR", user_data_dir("aftersales")))
_DEFAULT_DB = f"sqlite:///{DATA_DIR / 'aftersales.sqlite3'}"
DATABASE_URL = _env("DATABASE_URL", _DEFAULT_DB)

# A process keeps its connection between requests (for up to a minute): opening one costs more than a request
# to /me (on SQLite the file is opened, its schema read and the pragmas below set every time).
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=60)
ON_SQLITE = _db["ENGINE"] == "django.db.backends.sqlite3"
if ON_SQLITE:
    # Django's backend, with write transactions queued by the kernel (see its docstring).
    _db["ENGINE"] = "aftersales.core.sqlite_writers"
    _db["OPTIONS"] = {
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN,
        # so two writers queue instead of failing on a lock upgrade. Pages are read through a memory map
        # (up to 1 GB of the file), shared by every connection and process: each connection's own page cache
        # is small (2 MB), and a queue page of a shop with a long history reads more pages than that.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA mmap_size=1073741824;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    _db["TEST"] = {"NAME": _env("TEST_SQLITE_NAME", "") or None}
else:
    # Parameters bound by the server, and a statement run PREPARE_AFTER times on a connection is prepared
    # there: the commands' statements are then parsed and planned once per connection, not per run. Django
    # turns preparing off unless told; behind a pooler that hands connections out per transaction (PgBouncer
    # in transaction mode before 1.21), set AFTERSALES_DATABASE_PREPARE_AFTER to 0 to keep it off.
    _prepare_after = int(_env("DATABASE_PREPARE_AFTER", "5"))
    _db["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": _prepare_after or None}
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, with a transaction's BEGIN and COMMIT sent with its statements (see its docstring).
        _db["ENGINE"] = "aftersales.core.postgres_trips"
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "aftersales.accounts",
    "aftersales.api",
    "aftersales.catalog",
    "aftersales.orders",
    "aftersales.cases",
    "aftersales.logistics",
    "aftersales.refunds",
    "aftersales.timers",
    "aftersales.risk",
    "aftersales.chat",
    "aftersales.reviews",
    "aftersales.analytics",
    "aftersales.web",
]

# Sessions, CSRF, logins and messages serve the web pages; token-authenticated API requests skip them.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "aftersales.api.pages_only.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "aftersales.api.unrouted.UnroutedMiddleware",
    "aftersales.api.idempotency.IdempotencyMiddleware",
    "django.middleware.common.CommonMiddleware",
    "aftersales.api.pages_only.CsrfViewMiddleware",
    "aftersales.api.pages_only.AuthenticationMiddleware",
    "aftersales.api.pages_only.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "aftersales.config.urls"
WSGI_APPLICATION = "aftersales.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
SHOP_TIME_ZONE = _env("SHOP_TIME_ZONE", "Asia/Shanghai")

STATIC_URL = "/static/"
# WhiteNoise serves the apps' static files (htmx, css) straight from the installed package, without DEBUG
# and without a collectstatic step.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_MAX_AGE = 3600

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

PAYMENT_GATEWAY = _env("PAYMENT_GATEWAY", "simulated")
SIMULATED_REFUND_DELAY = int(_env("SIMULATED_REFUND_DELAY", "0"))
WORKER_POLL_SECONDS = float(_env("WORKER_POLL_SECONDS", "5"))
# Threads of one worker process that fire timers side by side. SQLite takes one writer at a time.
WORKER_THREADS = int(_env("WORKER_THREADS", "1" if ON_SQLITE else "4"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"aftersales": {"handlers": ["console"], "level": _env("LOG_LEVEL", "INFO")}},
}
