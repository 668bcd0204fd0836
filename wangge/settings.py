"""Django settings. Everything that differs between machines comes from the environment."""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("WANGGE_DATA_DIR", Path.cwd() / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated (or JSON list) environment variable."""
    raw = os.environ.get(name, default).strip()
    if raw.startswith("["):
        return [str(v).strip() for v in json.loads(raw) if str(v).strip()]
    return [v.strip() for v in raw.split(",") if v.strip()]


def _persisted_secret(env_name: str, filename: str) -> str:
    """A secret from the environment, else one generated once and kept in the data folder (development)."""
    value = os.environ.get(env_name)
    if value:
        return value
    path = DATA_DIR / filename
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _persisted_secret("WANGGE_SECRET_KEY", "secret_key")
# Key for personal data at rest (ID numbers, phones, sensitive tags) and the keyed look-up hashes.
PII_KEY = _persisted_secret("WANGGE_PII_KEY", "pii_key")
DEBUG = _env_bool("WANGGE_DEBUG")
ALLOWED_HOSTS = _env_list("WANGGE_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = _env_list("WANGGE_CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "wangge.core.error_views.csrf_failure"
# Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR networks, e.g. "127.0.0.1,10.0.0.0/8").
# A request from anywhere else is logged, throttled and audited under its own REMOTE_ADDR.
WANGGE_TRUSTED_PROXIES = _env_list("WANGGE_TRUSTED_PROXIES")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "csp",
    "ninja",  # serves Swagger UI for /api/v1/docs from its own static files, not from a CDN
    "wangge.core",
    "wangge.accounts",
    "wangge.areas",
    "wangge.registry",
    "wangge.notifications",
    "wangge.workdays",
    "wangge.appeals",
    "wangge.volunteers",
    "wangge.points",
    "wangge.wishes",
    "wangge.pairing",
    "wangge.signup",
    "wangge.deliberation",
    "wangge.voting",
    "wangge.property",
    "wangge.visits",
    "wangge.places",
    "wangge.projects",
    "wangge.offline",
    "wangge.patrols",
    "wangge.cards",
    "wangge.command",
    "wangge.attendance",
    "wangge.assessment",
    "wangge.party",
    "wangge.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "wangge.core.middleware.RequestContextMiddleware",
    "wangge.core.middleware.PrivateResponseMiddleware",
    "wangge.core.guards.InputGuardMiddleware",
    # Last, as django-axes requires: turns a lockout into the login page's message (or the API's 429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wangge.urls"
WSGI_APPLICATION = "wangge.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses every attempt while the account or the address is locked out (django-axes).
    "wangge.accounts.throttle.LockoutBackend",
    "wangge.accounts.backends.UsernameOrPhoneBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wangge.core.context_processors.wangge",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'wangge.sqlite3'}"),
        conn_max_age=int(os.environ.get("WANGGE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE makes every transaction take the write lock up front, so concurrent writers queue on
        # the busy timeout instead of failing with "database is locked" half-way through.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # Tests use a real file (not :memory:) so that live-server threads get their own connections.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test_wangge_{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("WANGGE_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("WANGGE_MEDIA_ROOT", DATA_DIR / "media"))
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Production over HTTPS (docs/deploy.md) ------------------------------------------------------------------
# WANGGE_HTTPS=1: cookies only over HTTPS, HSTS, and plain HTTP redirected. TLS ends at the reverse proxy in
# front of gunicorn, which must set X-Forwarded-Proto (overwriting any the client sent).
WANGGE_HTTPS = _env_bool("WANGGE_HTTPS")
if WANGGE_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_bool("WANGGE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the proxy's and the supervisor's health checks stay on HTTP
    SECURE_HSTS_SECONDS = int(os.environ.get("WANGGE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("WANGGE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_bool("WANGGE_HSTS_PRELOAD")
    if _env_bool("WANGGE_PROXY_SSL_HEADER", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a browser-vendor list an intranet (政务内网) host cannot and should not join; it is a
        # deliberate opt-in (WANGGE_HSTS_PRELOAD=1), so its reminder is silenced, not ignored by accident.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]


# --- Content-Security-Policy (django-csp) ---------------------------------------------------------------------
# No inline script anywhere: every script is a static file, every handler a listener (static/wangge/app.js).
# Inline styles stay allowed: templates use style attributes and Leaflet/htmx insert style elements.
def _tile_origin(url: str) -> list[str]:
    """The origin of the base-map tile server, if one is configured (``{s}`` sub-domains become ``*``)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return []
    # A host label with a sub-domain placeholder ("{s}.tile.example", "t{s}.tianditu.gov.cn") becomes "*": CSP
    # allows a wildcard only as a whole leading label.
    labels = parts.netloc.split(".")
    if any("{" in label for label in labels[1:]):
        return []  # a placeholder deeper in the host cannot be allowed by CSP: list the hosts by hand
    if "{" in labels[0]:
        labels[0] = "*"
    return [f"{parts.scheme}://{'.'.join(labels)}"]


# Map: no base-map tiles are required (intranets). Set a tile URL template to show one (docs/deploy.md, 底图).
# Without one, every map draws its base layer from our own data (GET /api/v1/areas/{code}/basemap).
WANGGE_TILE_URL = os.environ.get("WANGGE_TILE_URL", "")
# The coordinate system of those tiles: "wgs84" or "cgcs2000" (天地图, most intranet tile servers: our data is
# drawn as it is) or "gcj02" (高德/腾讯 tiles: our WGS84 overlays are shifted for display, picked points back).
WANGGE_TILE_CRS = os.environ.get("WANGGE_TILE_CRS", "wgs84").strip().lower()
if WANGGE_TILE_CRS not in {"wgs84", "cgcs2000", "gcj02"}:
    raise ValueError(f"WANGGE_TILE_CRS must be wgs84, cgcs2000 or gcj02, not {WANGGE_TILE_CRS!r}")
# Shown in the map's corner (天地图 and most providers require it), e.g. "© 天地图 GS(2024)0568号".
WANGGE_TILE_ATTRIBUTION = os.environ.get("WANGGE_TILE_ATTRIBUTION", "")
WANGGE_TILE_MAX_ZOOM = max(1, min(22, int(os.environ.get("WANGGE_TILE_MAX_ZOOM", "18"))))
# 天地图 needs a key in the URL ("...&tk=KEY") and sub-domains t0…t7: WANGGE_TILE_SUBDOMAINS="01234567".
WANGGE_TILE_SUBDOMAINS = os.environ.get("WANGGE_TILE_SUBDOMAINS", "abc")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:", *_tile_origin(WANGGE_TILE_URL)],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Login throttling (django-axes; wangge/accounts/throttle.py) --------------------------------------------
# After WANGGE_LOGIN_FAILURES_PER_ACCOUNT failed logins to one account (from anywhere), or
# WANGGE_LOGIN_FAILURES_PER_ADDRESS from one address (to any accounts), further logins — the right password
# included — are refused until WANGGE_LOGIN_COOLOFF_MINUTES after the last failure. Applies to the login page
# and to POST /api/v1/auth/token; every failure and lockout is in the audit log.
WANGGE_LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("WANGGE_LOGIN_FAILURES_PER_ACCOUNT", "10"))
WANGGE_LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("WANGGE_LOGIN_FAILURES_PER_ADDRESS", "50"))
WANGGE_LOGIN_COOLOFF_MINUTES = float(os.environ.get("WANGGE_LOGIN_COOLOFF_MINUTES", "15"))
AXES_ENABLED = _env_bool("WANGGE_LOGIN_THROTTLE", True)
AXES_HANDLER = "wangge.accounts.throttle.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = WANGGE_LOGIN_FAILURES_PER_ACCOUNT  # per address: scaled in LockoutHandler
AXES_COOLOFF_TIME = timedelta(minutes=WANGGE_LOGIN_COOLOFF_MINUTES)
AXES_RESET_ON_SUCCESS = True  # a successful login clears that account's (and address's) count
# Attempts while locked out are refused without being counted, so the cool-off runs from the last real failure.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "wangge.accounts.throttle.login_key"
AXES_CLIENT_IP_CALLABLE = "wangge.core.middleware.client_ip"
AXES_LOCKOUT_CALLABLE = "wangge.accounts.throttle.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # successful logins are in our own audit log
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password"]

# --- Per-user rate limits (wangge/core/ratelimit.py) ---------------------------------------------------------
# "<count>/<s|m|h|d>" per user (per address when signed out); empty switches a limit off.
WANGGE_RATE_SUBMISSIONS = os.environ.get("WANGGE_RATE_SUBMISSIONS", "10/m")  # new cases (page, API, Open311)
WANGGE_RATE_UPLOADS = os.environ.get("WANGGE_RATE_UPLOADS", "120/h")  # requests that carry files

# Caches. The rate-limit counters live in this process's memory by default: no query on the hot paths, but each
# gunicorn worker counts on its own (with N workers a user may get up to N times the limit). For exact limits
# over several workers or machines, set WANGGE_REDIS_URL (pip install redis): atomic counters shared by all.
_REDIS_URL = os.environ.get("WANGGE_REDIS_URL", "")
CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _REDIS_URL}
        if _REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "wangge-ratelimit",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    ),
}
RATELIMIT_USE_CACHE = "ratelimit"

WANGGE_DEMO_PASSWORD = os.environ.get("WANGGE_DEMO_PASSWORD", "wangge-demo")
# The address printed in the 便民服务卡 QR codes (default: the host the print request came to).
WANGGE_PUBLIC_URL = os.environ.get("WANGGE_PUBLIC_URL", "")
# Tolerances for boundary validation, in square metres (approximate, on a local projection).
WANGGE_BOUNDARY_OVERLAP_TOLERANCE_M2 = float(os.environ.get("WANGGE_BOUNDARY_OVERLAP_TOLERANCE_M2", "50"))
WANGGE_BOUNDARY_OUTSIDE_TOLERANCE_M2 = float(os.environ.get("WANGGE_BOUNDARY_OUTSIDE_TOLERANCE_M2", "50"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WANGGE_LOG_LEVEL", "WARNING")},
}

# --- Scale-out (docs/scale.md): background work, several app servers, replicas. Everything here is off by
# default: `make run` needs no broker, no object store and no replica. ----------------------------------
# Celery with Redis when set (e.g. redis://127.0.0.1:6379/0); without it the `wangge tick` loop and threads.
WANGGE_BROKER_URL = os.environ.get("WANGGE_BROKER_URL", "")
CELERY_BROKER_URL = WANGGE_BROKER_URL or "memory://"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("WANGGE_CELERY_QUEUE", "wangge")
CELERY_TASK_ACKS_LATE = True  # a job whose worker died is delivered again (and taken over: core.jobs)
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Personal-data key rotation: WANGGE_PII_KEYS="new,old,…" (newest first) replaces WANGGE_PII_KEY; the new
# key encrypts, the others still decrypt until `wangge rotate_pii_key` has re-encrypted everything.
_pii_keys = [k.strip() for k in os.environ.get("WANGGE_PII_KEYS", "").split(",") if k.strip()]
if _pii_keys:
    PII_KEY = _pii_keys[0]
PII_PREVIOUS_KEYS = _pii_keys[1:]
# Several app servers: nothing one process keeps may be needed by another. Sessions live in the database
# (Django's default engine, kept explicit); per-process caches (the grid index) follow version counters in
# the database; a shared cache (rate limits and the like) goes to Redis when WANGGE_CACHE_URL is set.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
if os.environ.get("WANGGE_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["WANGGE_CACHE_URL"],
        }
    }
# Uploaded files on S3-compatible storage (MinIO, OSS, COS, OBS …) when WANGGE_S3_BUCKET is set (pip install
# 'wangge[s3]'); otherwise the MEDIA_ROOT folder.
if os.environ.get("WANGGE_S3_BUCKET"):
    STORAGES = {
        **globals().get(
            "STORAGES", {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
        ),
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": os.environ["WANGGE_S3_BUCKET"],
                "endpoint_url": os.environ.get("WANGGE_S3_ENDPOINT_URL") or None,
                "region_name": os.environ.get("WANGGE_S3_REGION") or None,
                "access_key": os.environ.get("WANGGE_S3_ACCESS_KEY") or None,
                "secret_key": os.environ.get("WANGGE_S3_SECRET_KEY") or None,
                "location": os.environ.get("WANGGE_S3_PREFIX", "media"),
                "addressing_style": os.environ.get("WANGGE_S3_ADDRESSING_STYLE") or None,  # "path" for MinIO
                "default_acl": None,
                "querystring_auth": True,  # photos of cases are private: signed, expiring URLs
                "file_overwrite": False,
            },
        },
    }
# Read replicas: DATABASE_REPLICA_URL (a streaming standby) serves the figures, the map layers and the exports
# (wangge.core.replica); everything else reads and writes the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("WANGGE_CONN_MAX_AGE", "60"))
    )
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["replica"]["OPTIONS"] = {"timeout": 30}
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["wangge.core.replica.ReplicaRouter"]
    MIDDLEWARE = [*MIDDLEWARE, "wangge.core.replica.ReplicaMiddleware"]
# --- end of the scale-out block ---------------------------------------------------------------------------

# Every other tunable the apps read with getattr(settings, "WANGGE_…", default) — time limits of wishes,
# pairing and volunteer offers, upload limits, metric weights — can be set from the environment too:
# a JSON value (number, true/false, list, object) or a plain string.
for _name, _raw in os.environ.items():
    if _name.startswith("WANGGE_") and _name not in globals():
        try:
            globals()[_name] = json.loads(_raw)
        except ValueError:
            globals()[_name] = _raw
