"""Settings, read only from the environment, with safe defaults.

- ``TASHAWUR_ENV``: ``production`` (default), ``demo`` or ``test``.
- ``TASHAWUR_DEBUG=1``: Django's DEBUG (tracebacks, the URL list on a 404), only with ``demo``;
  off by default, the demo included: its pages are seen by people who must see no traceback.
- ``DATABASE_URL``: PostgreSQL in production; an embedded SQLite file when unset.
- ``TASHAWUR_DATA_DIR``: where the SQLite file and media live (default ``./var``).
- ``TASHAWUR_SQLITE_TIMEOUT``: seconds a SQLite writer waits for the lock before the request
  answers 503 "try again" (default 20).
- ``TASHAWUR_SECRET_KEY``: required in production.
- ``TASHAWUR_ALLOWED_HOSTS``: comma-separated host names.
- ``REDIS_URL`` and the ``TASHAWUR_RATE_*``, ``TASHAWUR_LOGIN_*`` settings: the cache and the
  rate limits (the "Limits" block below; docs/deployment.md, "Limits").
- ``TASHAWUR_MEASURES_FILE_MAX_BYTES`` and ``TASHAWUR_MEASURES_FILE_MAX_ROWS``: the largest CSV or
  XLSX file of a programme's measures accepted for import (default 2 MiB and 5,000 rows).
- ``TASHAWUR_EVIDENCE_MAX_BYTES``: the largest evidence file (photo or PDF) of a programme's
  progress update (default 5 MiB), checked before the upload is read.
- ``TASHAWUR_VOICE_MAX_BYTES`` and ``TASHAWUR_VOICE_MAX_SECONDS``: the largest voice note
  (default 8 MiB, checked before it is read) and its longest length (default 300 s).
- ``TASHAWUR_MAX_FORM_BYTES``: the largest form body accepted (default 524288, 512 KiB); a larger
  one gets the translated 413 "too long" page (the API's JSON error under ``/api/``).
- ``TASHAWUR_EMAIL_BACKEND``, ``TASHAWUR_EMAIL_HOST``, ``_PORT``, ``_HOST_USER``,
  ``_HOST_PASSWORD``, ``_USE_TLS``, ``_USE_SSL``, ``_TIMEOUT`` and ``TASHAWUR_DEFAULT_FROM_EMAIL``:
  how password-reset e-mails leave (SMTP in production, the console in the demo).
- ``TASHAWUR_OPEN_DATA_K``: open data and the public pages show an author's actor type and
  province only when at least this many published authors of the consultation share them, and
  a finding's breakdown only the groups of at least this many authors (default 5;
  ``core.privacy``).
- ``TASHAWUR_RUN_LEASE_SECONDS``: a running synthesis run whose worker has given no sign of life
  for this long is marked failed, and the next request starts a new run (default 30).
- ``TASHAWUR_RUN_DEBOUNCE_SECONDS``: how long after a round table closes its consultation's
  synthesis is refreshed, so that tables closing together share one run (default 120; 0: at once).
- ``TASHAWUR_OPEN_DATA_DEBOUNCE_SECONDS``: a download of the open-data ZIP after the data changed
  (a vote, a new contribution) is answered with the last ZIP and queues its rebuild this many
  seconds later, so that the changes meanwhile share one (default 60; 0: at once; a takedown is
  never served from an older ZIP: ``api.archives``).
- ``TASHAWUR_DASK_SCHEDULER``: the address of a Dask ``distributed`` scheduler
  (``tcp://10.0.0.5:8786``) on whose workers ``tashawur worker`` runs the synthesis map steps
  (cleaning, embedding, assignment) of its synthesis and roll-up runs; empty (the default): on
  the worker's own machine. Needs the ``dask`` extra; a run fails, saying so, when the
  scheduler does not answer (docs/deployment.md, "Dask").
- ``TASHAWUR_TWILIO_AUTH_TOKEN``, ``TASHAWUR_TWILIO_WEBHOOK_URL``, ``TASHAWUR_RAPIDPRO_SECRET``,
  ``TASHAWUR_SENDER_HASH_KEY`` and ``TASHAWUR_SMS_NUMBER``: SMS intake (off unless a gateway's
  secret is set; see the block "SMS and messaging intake" below).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent

ENV = os.environ.get("TASHAWUR_ENV", "production")
if ENV not in {"production", "demo", "test"}:
    raise RuntimeError(f"TASHAWUR_ENV must be production, demo or test, not {ENV!r}")

DATA_DIR = Path(os.environ.get("TASHAWUR_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = ENV == "demo" and os.environ.get("TASHAWUR_DEBUG", "0") == "1"

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
    # Failed sign-ins per account, and the lock-out (the "Limits" block below).
    "axes",
    "tashawur.core",
    "tashawur.territories",
    "tashawur.actors",
    "tashawur.consultations",
    "tashawur.contributions",
    "tashawur.diagnosis",
    "tashawur.programmes",
    "tashawur.api",
    "tashawur.web",
    "tashawur.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (the policy is CONTENT_SECURITY_POLICY below):
    # django-csp's, with the header built once (core.csp).
    "tashawur.core.csp.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # HTML compressed on the fly keeps participant pages small on 3G (DESIGN.md §6); Django
    # pads compressed responses against BREACH ("Heal The Breach") since 4.2.
    "django.middleware.gzip.GZipMiddleware",
    # Under /api/, every 4xx and 5xx answers the API's JSON error body (inside GZip, so that
    # the body it writes is the one compressed).
    "tashawur.api.errors.ApiErrorMiddleware",
    # A DomainError no view caught (a hostile ?page=) answers 400 with its translated message.
    "tashawur.config.handlers.DomainErrorMiddleware",
    # A locked, full or unreachable database answers a translated 503 with Retry-After, never a
    # traceback; outside the session, so that a reading request it runs again reloads it.
    "tashawur.core.unavailable.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's locale and messages middleware, without their unused work (core.middleware).
    "tashawur.core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the signed-in user's row read without the ORM's query building (core.auth).
    "tashawur.core.auth.AuthenticationMiddleware",
    "tashawur.core.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Turns django-axes' lock-out into its page (core.views.account_locked_out); stays last.
    "axes.middleware.AxesMiddleware",
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
        if config.get("ENGINE") == "django.db.backends.sqlite3":
            # A SQLite file named by URL gets the same locking as the default one (below).
            options = _sqlite_options()
            options.update(config.get("OPTIONS") or {})  # type: ignore[call-overload]
            config["OPTIONS"] = options
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # SQLite has one writer at a time. Every transaction takes the write lock when it begins
    # (IMMEDIATE): a transaction that read first and wrote next could not wait for the lock
    # ("database is locked" at once, whatever the timeout). Writers then wait on the busy
    # timeout, but SQLite's busy handler is no queue: it sleeps and tries again, so with many
    # writers at once an unlucky one can lose every race until the timeout, and gets "database
    # is locked". That is what 64 voters did to runserver's thread per connection; the server
    # keeps writers few instead (gunicorn's processes, `tashawur demo`), and what is left comes
    # out as a 503 asking to try again (core.unavailable), never a traceback.
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "tashawur.sqlite3",
        "OPTIONS": _sqlite_options(),
        "TEST": {"NAME": os.environ.get("TASHAWUR_SQLITE_TEST_NAME") or None},
    }


def _sqlite_options() -> dict[str, object]:
    timeout = float(os.environ.get("TASHAWUR_SQLITE_TIMEOUT", "20"))
    if not 0 < timeout <= 600:
        raise ImproperlyConfigured("TASHAWUR_SQLITE_TIMEOUT must be seconds, above 0, at most 600")
    return {
        "transaction_mode": "IMMEDIATE",
        "timeout": timeout,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            f"PRAGMA busy_timeout={round(timeout * 1000)};"
        ),
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
# django-axes refuses a locked-out account before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

# Arabic first, French second (DESIGN.md §6). English stays for developers.
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Formats Django's locales lack (an Arabic date with its time): core/formats/<language>/.
FORMAT_MODULE_PATH = ["tashawur.core.formats"]
TIME_ZONE = "Africa/Casablanca"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("TASHAWUR_STATIC_ROOT", DATA_DIR / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
# Files no web server serves: evidence not yet public, voice notes. Views stream them after
# checking who asks.
TASHAWUR_PRIVATE_MEDIA_ROOT = Path(
    os.environ.get("TASHAWUR_PRIVATE_MEDIA_ROOT", DATA_DIR / "private")
)
# The largest evidence file (a photo or a PDF of a measure's progress), checked before reading.
TASHAWUR_EVIDENCE_MAX_BYTES = int(
    os.environ.get("TASHAWUR_EVIDENCE_MAX_BYTES", str(5 * 1024 * 1024))
)
# A voice note (contributions.audio): its largest size, checked before the upload is read, and
# its longest length, read from its container where it says (the recorder stops there too).
TASHAWUR_VOICE_MAX_BYTES = int(os.environ.get("TASHAWUR_VOICE_MAX_BYTES", str(8 * 1024 * 1024)))
TASHAWUR_VOICE_MAX_SECONDS = int(os.environ.get("TASHAWUR_VOICE_MAX_SECONDS", "300"))
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

# Size checks happen before parsing (DESIGN.md §6: robust). A form's body may hold this many
# bytes: far above any form of the site (a 2,000-character contribution in Arabic is 12 KB
# url-encoded, six bytes a letter) and below what a pasted megabyte of any script takes, so a
# pasted megabyte of Arabic and one of ASCII get the same translated 413 page (config/handlers.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("TASHAWUR_MAX_FORM_BYTES", str(512 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# A programme's measures as a file (programmes.measure_files): its size and rows, checked
# before it is parsed.
TASHAWUR_MEASURES_FILE_MAX_BYTES = int(
    os.environ.get("TASHAWUR_MEASURES_FILE_MAX_BYTES", str(2 * 1024 * 1024))
)
TASHAWUR_MEASURES_FILE_MAX_ROWS = int(os.environ.get("TASHAWUR_MEASURES_FILE_MAX_ROWS", "5000"))
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
# The lease of a running synthesis run: its worker renews it every sixth of it (services.py).
TASHAWUR_RUN_LEASE_SECONDS = int(os.environ.get("TASHAWUR_RUN_LEASE_SECONDS", "30"))
# A round table's closing queues a refresh of its consultation's synthesis this many seconds
# later, so that the tables closing together share one run (0: at once).
TASHAWUR_RUN_DEBOUNCE_SECONDS = float(os.environ.get("TASHAWUR_RUN_DEBOUNCE_SECONDS", "120"))
# The open-data ZIP's rebuild, queued by a download after a change, waits this long (api.archives).
TASHAWUR_OPEN_DATA_DEBOUNCE_SECONDS = float(
    os.environ.get("TASHAWUR_OPEN_DATA_DEBOUNCE_SECONDS", "60")
)
# A Dask scheduler for the synthesis map steps (diagnosis/services/executors.py); empty: local.
TASHAWUR_DASK_SCHEDULER = os.environ.get("TASHAWUR_DASK_SCHEDULER", "").strip()
# The site's public name and address, as documents made to leave the site (the programme's PDF)
# name it: never the address a request happened to reach (127.0.0.1 behind a proxy). Without
# an address, a PDF names the site and links nowhere.
TASHAWUR_SITE_NAME = os.environ.get("TASHAWUR_SITE_NAME", "Tashawur").strip() or "Tashawur"
TASHAWUR_PUBLIC_URL = os.environ.get("TASHAWUR_PUBLIC_URL", "").strip().rstrip("/")

# SMS and messaging intake (POST /api/inbound/<gateway>; contributions/inbound.py). A gateway
# whose secret is unset answers 404: both are off by default. Twilio signs with its auth token
# over the URL it called: TASHAWUR_TWILIO_WEBHOOK_URL (else TASHAWUR_PUBLIC_URL + the path) must
# be that URL when a proxy stands in front. Senders who match no account are kept only as an
# HMAC-SHA256 of their number under TASHAWUR_SENDER_HASH_KEY (default: SECRET_KEY).
TASHAWUR_TWILIO_AUTH_TOKEN = os.environ.get("TASHAWUR_TWILIO_AUTH_TOKEN", "").strip()
TASHAWUR_TWILIO_WEBHOOK_URL = os.environ.get("TASHAWUR_TWILIO_WEBHOOK_URL", "").strip()
TASHAWUR_RAPIDPRO_SECRET = os.environ.get("TASHAWUR_RAPIDPRO_SECRET", "").strip()
TASHAWUR_SENDER_HASH_KEY = os.environ.get("TASHAWUR_SENDER_HASH_KEY", "").strip()
# The number people text (shown to staff with a round table's keyword); empty: not shown.
TASHAWUR_SMS_NUMBER = os.environ.get("TASHAWUR_SMS_NUMBER", "").strip()

# The vectors of each consultation's published contributions ("already said" suggestions,
# contributions/similar.py), one file a consultation; empty: kept in memory only.
TASHAWUR_SIMILAR_DIR = os.environ.get("TASHAWUR_SIMILAR_DIR", str(DATA_DIR / "similar"))

# --- Limits (docs/deployment.md, "Limits") -------------------------------------------------
# A rate is "count/period", the period in s, m, h or d with an optional multiplier ("10/m",
# "100/15m"); "off" turns that limit off. Writes are counted per account, never per address:
# a whole workshop shares one hotspot. Counters and built downloads live in the default cache.
_RATE = re.compile(r"^[1-9][0-9]*/([1-9][0-9]*)?[smhd]$")


def _rate(name: str, default: str) -> str | None:
    value = os.environ.get(name, default).strip()
    if value in {"", "off"}:
        return None
    if not _RATE.match(value):
        raise ImproperlyConfigured(f"{name} must be a rate such as 10/m or 100/15m, or off")
    return value


# Contributions one participant may send, and one facilitator recording for the room.
TASHAWUR_RATE_CONTRIBUTIONS = _rate("TASHAWUR_RATE_CONTRIBUTIONS", "10/m")
TASHAWUR_RATE_CONTRIBUTIONS_RECORDED = _rate("TASHAWUR_RATE_CONTRIBUTIONS_RECORDED", "60/m")
# Votes (agree / disagree / pass, changes included) one participant may cast.
TASHAWUR_RATE_VOTES = _rate("TASHAWUR_RATE_VOTES", "60/m")
# "Already said" look-ups one participant may make while typing (debounced, 400 ms).
TASHAWUR_RATE_SIMILAR = _rate("TASHAWUR_RATE_SIMILAR", "120/m")
# Reports of contributions (the flag button) one participant may send.
TASHAWUR_RATE_FLAGS = _rate("TASHAWUR_RATE_FLAGS", "10/m")
# Programme PDFs and open data (ZIP, JSON pages) one anonymous network may download.
TASHAWUR_RATE_DOWNLOADS = _rate("TASHAWUR_RATE_DOWNLOADS", "60/m")
# Sign-ups and password-reset requests one network may send (a workshop shares a hotspot).
TASHAWUR_RATE_ACCOUNTS = _rate("TASHAWUR_RATE_ACCOUNTS", "100/h")
# A built PDF or ZIP is kept this long; its key is a hash of its content, so never stale.
TASHAWUR_DOWNLOAD_CACHE_SECONDS = int(os.environ.get("TASHAWUR_DOWNLOAD_CACHE_SECONDS", "86400"))
# A public page (the diagnosis, the programme) is kept this long for anonymous readers; its key
# carries the versions of what it shows, so a change is seen at once (core.caching).
TASHAWUR_PAGE_CACHE_SECONDS = int(os.environ.get("TASHAWUR_PAGE_CACHE_SECONDS", "300"))
# Sign-in: an account is locked after this many failures within the cool-off (django-axes),
# a network (client address) after far more, since a workshop signs in through one hotspot.
TASHAWUR_LOGIN_FAILURES_PER_ACCOUNT = int(
    os.environ.get("TASHAWUR_LOGIN_FAILURES_PER_ACCOUNT", "10")
)
TASHAWUR_LOGIN_FAILURES_PER_IP = int(os.environ.get("TASHAWUR_LOGIN_FAILURES_PER_IP", "100"))
TASHAWUR_LOGIN_COOLOFF_MINUTES = int(os.environ.get("TASHAWUR_LOGIN_COOLOFF_MINUTES", "15"))
# Reverse proxies in front that append the client's address to X-Forwarded-For: the client
# address is the one the outermost proxy saw. 0 reads REMOTE_ADDR (the demo, no proxy).
TASHAWUR_PROXY_COUNT = int(
    os.environ.get("TASHAWUR_PROXY_COUNT", "1" if ENV == "production" else "0")
)

AXES_FAILURE_LIMIT = TASHAWUR_LOGIN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = dt.timedelta(minutes=TASHAWUR_LOGIN_COOLOFF_MINUTES)
# Per account only: the per-network count, with its higher threshold, is core.limits' (axes
# has one threshold for all its parameters), hence its warning W006 is silenced below.
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lock-out do not prolong it: the cool-off runs from the last counted failure.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "tashawur.core.limits.client_ip"
AXES_LOCKOUT_CALLABLE = "tashawur.core.views.account_locked_out"
# A failed attempt (username, address, browser) is deleted at the first sign-in after its
# cool-off; successful sign-ins are not logged at all (Law 09-08).
AXES_DISABLE_ACCESS_LOG = True
# No banner at every start of every command; failures are still logged (WARNING, no password).
AXES_VERBOSE = False
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# django-ratelimit is used as a library (django_ratelimit.core), not as an app: its app only
# adds checks that call Django's own RedisCache "not officially supported" (it increments
# atomically) and refuse the file cache, whose increment is not atomic (a few requests over a
# limit may pass under a race: accepted for single-machine installs).
RATELIMIT_FAIL_OPEN = True

_REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES: dict[str, dict[str, object]]
if ENV == "test":
    # Each test starts from an empty cache (tests/conftest.py).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif _REDIS_URL:
    # Production, and any install with several web machines: needs a Redis server.
    CACHES = {
        "default": {
            # Django's, reusing its client objects (core/redis_cache.py).
            "BACKEND": "tashawur.core.redis_cache.RedisCache",
            "LOCATION": _REDIS_URL,
        }
    }
else:
    # One machine (the demo, a small install): files shared by all its server processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": DATA_DIR / "cache",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

# E-mail (password reset): the console in the demo (the message is printed), SMTP elsewhere
# unless TASHAWUR_EMAIL_BACKEND says otherwise; the test runner swaps in its memory outbox.
EMAIL_BACKEND = os.environ.get(
    "TASHAWUR_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if ENV in {"demo", "test"}
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("TASHAWUR_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("TASHAWUR_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("TASHAWUR_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("TASHAWUR_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("TASHAWUR_EMAIL_USE_TLS", "0") == "1"
EMAIL_USE_SSL = os.environ.get("TASHAWUR_EMAIL_USE_SSL", "0") == "1"
EMAIL_TIMEOUT = int(os.environ.get("TASHAWUR_EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("TASHAWUR_DEFAULT_FROM_EMAIL", "Tashawur <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Sessions are written to the database and read through the default cache (Redis in
# production): a signed-in request reads its session without a query (issue 15, per-request
# CPU). A session evicted from the cache is read from the database again; none is lost.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp; Django has its own only from 6.0). Everything the pages
# load is served by this site (vendored under core/static/vendor/, never a CDN); no inline
# script, no eval (htmx runs with allowEval off and without its injected indicator style, see
# base.html), no inline style, no <object>, no framing. The admin of Django 5.2 needs nothing
# more. A template that adds a <script> or style="..." breaks in the browser tests, which fail
# on any violation (tests/browser/conftest.py). The PDF is laid out by WeasyPrint on the
# server and is not subject to it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        # blob: the recorder plays back the voice note it has just made, before it is sent.
        "media-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

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
        # django-axes narrates every sign-in at INFO; failures and lock-outs are WARNING.
        "axes": {"level": "WARNING"},
    },
}

if ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
