"""Settings, read only from the environment, with safe defaults.

- ``TASHAWUR_ENV``: ``production`` (default), ``demo`` or ``test``. Only ``demo`` turns DEBUG on.
- ``DATABASE_URL``: PostgreSQL in production; an embedded SQLite file when unset.
- ``TASHAWUR_DATA_DIR``: where the SQLite file and media live (default ``./var``).
- ``TASHAWUR_SECRET_KEY``: required in production.
- ``TASHAWUR_ALLOWED_HOSTS``: comma-separated host names.
- ``TASHAWUR_OPEN_DATA_K``: open data shows an author's actor type and province only when at
  least this many published authors of the consultation share them (default 5).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent

ENV = os.environ.get("TASHAWUR_ENV", "production")
if ENV not in {"production", "demo", "test"}:
    raise RuntimeError(f"TASHAWUR_ENV must be production, demo or test, not {ENV!r}")

DATA_DIR = Path(os.environ.get("TASHAWUR_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = ENV == "demo" and os.environ.get("TASHAWUR_DEBUG", "1") == "1"

_secret = os.environ.get("TASHAWUR_SECRET_KEY", "")
if not _secret:
    if ENV == "production":
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Set TASHAWUR_SECRET_KEY (50+ random characters) in production.")
    _secret = "insecure-demo-key-" + "x" * 40
SECRET_KEY = _secret

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "TASHAWUR_ALLOWED_HOSTS", "127.0.0.1,localhost" if ENV != "production" else ""
    ).split(",")
    if h.strip()
]
if ENV == "test":
    ALLOWED_HOSTS = ["*"]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("TASHAWUR_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "tashawur.core",
    "tashawur.territories",
    "tashawur.actors",
    "tashawur.consultations",
    "tashawur.contributions",
    "tashawur.diagnosis",
    "tashawur.programmes",
    "tashawur.api",
    "tashawur.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # HTML compressed on the fly keeps participant pages small on 3G (DESIGN.md §6); Django
    # pads compressed responses against BREACH ("Heal The Breach") since 4.2.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "tashawur.config.urls"
WSGI_APPLICATION = "tashawur.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]


def _database() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        config = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "tashawur.sqlite3",
        "OPTIONS": {
            # Writers queue on the busy timeout instead of failing with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=20000;"
            ),
        },
        "TEST": {"NAME": os.environ.get("TASHAWUR_SQLITE_TEST_NAME") or None},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "consultations:home"
LOGOUT_REDIRECT_URL = "consultations:home"

# Arabic first, French second (DESIGN.md §6). English stays for developers.
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Africa/Casablanca"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("TASHAWUR_STATIC_ROOT", DATA_DIR / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if ENV == "production"
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = ENV != "production"

# Size checks happen before parsing (DESIGN.md §6: robust).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if ENV == "test"
            else "django_tasks_db.backend.DatabaseBackend"
        )
    }
}

# k-anonymity of the open data's quasi-identifiers (actor type × province); see api/selectors.py.
TASHAWUR_OPEN_DATA_K = int(os.environ.get("TASHAWUR_OPEN_DATA_K", "5"))

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if ENV == "production":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = os.environ.get("TASHAWUR_SSL_REDIRECT", "1") == "1"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("TASHAWUR_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TASHAWUR_LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools narrate every rendering at INFO ("Step 2 - Fetching and parsing
    # CSS"…); their warnings still show.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

if ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
