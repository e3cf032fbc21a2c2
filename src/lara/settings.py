"""Configure Lara from the environment.

One settings module, environment first: a newcomer gets an embedded SQLite
install with no variable set, production sets DATABASE_URL / REDIS_URL /
LARA_SECRET_KEY. Every secret also has a ``*_FILE`` variant so it can come
from a mounted file instead of the process environment.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("LARA_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env(name: str, default: str = "") -> str:
    """Read a setting, preferring ``NAME_FILE`` (a path to a secret) over ``NAME``."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name, "1" if default else "0").strip().lower()
    return value in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Use LARA_SECRET_KEY, else a key generated once and kept under var/.

    Generating it on first start keeps the newcomer path free of set-up while
    sessions and encrypted channel credentials survive restarts.
    """
    configured = env("LARA_SECRET_KEY")
    if configured:
        return configured
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("LARA_DEBUG")
ALLOWED_HOSTS = [h.strip() for h in env("LARA_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("LARA_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "lara.core",
    "lara.channels",
    "lara.customers",
    "lara.mentions",
    "lara.analysis",
    "lara.cases",
    "lara.engage",
    "lara.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # ServeStatic (WhiteNoise's ASGI-native fork) streams static files
    # asynchronously under uvicorn instead of through a synchronous iterator.
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lara.web.middleware.user_preferences_middleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "lara.urls"
ASGI_APPLICATION = "lara.asgi.application"
WSGI_APPLICATION = "lara.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "lara.web.filters.correction_choices",
            ],
        },
    }
]


def _database() -> dict[str, object]:
    """Build the default database from DATABASE_URL or the embedded SQLite file.

    SQLite runs in WAL mode with IMMEDIATE transactions so the web server, the
    workers and the demo stream can write from several threads without
    "database is locked" errors.
    """
    url = env("DATABASE_URL")
    if url:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR_DIR / "lara.sqlite3")}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("he", "עברית"), ("ru", "Русский"), ("uk", "Українська")]
TIME_ZONE = "UTC"
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "web" / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedStaticFilesStorage"},
}
SERVESTATIC_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("LARA_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Background work. Unset REDIS_URL = embedded mode: jobs are rows in the
# database, run by worker threads inside `lara run`. With REDIS_URL the same
# jobs are handed to Celery workers through Redis.
REDIS_URL = env("REDIS_URL")
LARA_EMBEDDED = not REDIS_URL
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "lara"
CELERY_BEAT_SCHEDULE = {
    "sweep-jobs": {"task": "lara.core.sweep_jobs", "schedule": timedelta(seconds=15)},
}
LARA_JOB_LEASE_SECONDS = int(env("LARA_JOB_LEASE_SECONDS", "300"))
LARA_JOB_MAX_ATTEMPTS = int(env("LARA_JOB_MAX_ATTEMPTS", "8"))
LARA_WORKER_THREADS = int(env("LARA_WORKER_THREADS", "2"))
# Processes running those threads in `lara run` (the first is `lara run` itself):
# the pipeline is CPU-bound Python, so a burst is drained on two cores, not one.
LARA_WORKER_PROCESSES = int(env("LARA_WORKER_PROCESSES", "2"))
# Web server processes of `lara run`. Page rendering is CPU-bound Python, so
# one process serves one core; two keep the inbox fast for a team of agents.
LARA_WEB_WORKERS = int(env("LARA_WEB_WORKERS", "2"))

# Reminder e-mails. Without LARA_EMAIL_HOST they are printed to the console
# (the embedded install has no mail server); tests use Django's locmem backend.
EMAIL_HOST = env("LARA_EMAIL_HOST")
EMAIL_PORT = int(env("LARA_EMAIL_PORT", "587"))
EMAIL_HOST_USER = env("LARA_EMAIL_USER")
EMAIL_HOST_PASSWORD = env("LARA_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("LARA_EMAIL_USE_TLS", default=True)
EMAIL_BACKEND = env(
    "LARA_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env("LARA_DEFAULT_FROM_EMAIL", "Lara <lara@localhost>")

# Channel adapters register by dotted path and load lazily (the core never
# imports a network).
LARA_NETWORKS = {
    "api": "lara.channels.api.adapter.ApiAdapter",
    "webhook": "lara.channels.webhook.adapter.WebhookAdapter",
    "rss": "lara.channels.rss.adapter.RssAdapter",
    "telegram": "lara.channels.telegram.adapter.TelegramAdapter",
    "mastodon": "lara.channels.mastodon.adapter.MastodonAdapter",
    "facebook": "lara.channels.facebook.adapter.FacebookAdapter",
    "instagram": "lara.channels.instagram.adapter.InstagramAdapter",
    "whatsapp": "lara.channels.whatsapp.adapter.WhatsAppAdapter",
    "twitter": "lara.channels.twitter.adapter.TwitterAdapter",
    "bluesky": "lara.channels.bluesky.adapter.BlueskyAdapter",
    "email": "lara.channels.email.adapter.EmailAdapter",
    "chat": "lara.channels.chat.adapter.ChatAdapter",
    "reddit": "lara.channels.reddit.adapter.RedditAdapter",
    "discourse": "lara.channels.discourse.adapter.DiscourseAdapter",
    "reviews": "lara.channels.reviews.adapter.ReviewsAdapter",
}

# The analyzer sits behind a protocol; tests may swap in a fake.
LARA_ANALYZER = env("LARA_ANALYZER", "lara.analysis.engine.get_analyzer")
LARA_LANGUAGES = [c.strip() for c in env("LARA_LANGUAGES", "").split(",") if c.strip()]

# The inbox's server-sent event stream: how often it looks for changes and how
# long one stream lasts before the browser reconnects (no thread held forever).
LARA_LIVE_POLL_SECONDS = float(env("LARA_LIVE_POLL_SECONDS", "0.5"))
LARA_LIVE_STREAM_SECONDS = float(env("LARA_LIVE_STREAM_SECONDS", "60"))

# Relate: "connect your accounts" links, raw payload retention, webhook targets, imports.
LARA_PUBLIC_URL = env("LARA_PUBLIC_URL", "").rstrip("/")  # links sent to customers; else the agent's host
LARA_CONSENT_LINK_HOURS = float(env("LARA_CONSENT_LINK_HOURS", "72"))
LARA_SURVEY_LINK_HOURS = float(env("LARA_SURVEY_LINK_HOURS", "168"))
LARA_RAW_RETENTION_DAYS = int(env("LARA_RAW_RETENTION_DAYS", "90"))  # 0 = keep raw payloads forever
LARA_WEBHOOK_ALLOW_PRIVATE = env_bool("LARA_WEBHOOK_ALLOW_PRIVATE")  # loopback/private webhook URLs
LARA_IMPORT_INLINE_ROWS = int(env("LARA_IMPORT_INLINE_ROWS", "1000"))  # larger CSVs run as a job

# Act: what a customer's message after a case was closed does (reopen | new_linked;
# a channel's config["after_close"] wins), and after how many days it is always a
# new linked case; the engagement policy's approval step for public replies.
LARA_AFTER_CLOSE = env("LARA_AFTER_CLOSE", "reopen")
LARA_AFTER_CLOSE_WINDOW_DAYS = float(env("LARA_AFTER_CLOSE_WINDOW_DAYS", "7"))
LARA_APPROVAL_FOLLOWERS = int(env("LARA_APPROVAL_FOLLOWERS", "10000"))
LARA_BLOCKED_WORDS = [w.strip() for w in env("LARA_BLOCKED_WORDS", "").split(",") if w.strip()]
LARA_BRAND = env("LARA_BRAND", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LARA_LOG_LEVEL", "INFO")},
    # httpx logs every request URL at INFO, and some networks (Telegram) put
    # the token in the URL: keep those lines out of the logs. tweepy and
    # oauthlib log request headers and signatures at DEBUG.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "tweepy": {"level": "WARNING"},
        "oauthlib": {"level": "WARNING"},
        "requests_oauthlib": {"level": "WARNING"},
    },
}
