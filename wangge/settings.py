"""Django settings. Everything that differs between machines comes from the environment."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("WANGGE_DATA_DIR", Path.cwd() / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


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
ALLOWED_HOSTS = [
    h for h in os.environ.get("WANGGE_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("WANGGE_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
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
    "wangge.visits",
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
    "django_htmx.middleware.HtmxMiddleware",
    "wangge.core.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "wangge.urls"
WSGI_APPLICATION = "wangge.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["wangge.accounts.backends.UsernameOrPhoneBackend"]
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

# Map: no base-map tiles are required (intranets). Set a tile URL template to show one.
WANGGE_TILE_URL = os.environ.get("WANGGE_TILE_URL", "")
WANGGE_DEMO_PASSWORD = os.environ.get("WANGGE_DEMO_PASSWORD", "wangge-demo")
# Tolerances for boundary validation, in square metres (approximate, on a local projection).
WANGGE_BOUNDARY_OVERLAP_TOLERANCE_M2 = float(os.environ.get("WANGGE_BOUNDARY_OVERLAP_TOLERANCE_M2", "50"))
WANGGE_BOUNDARY_OUTSIDE_TOLERANCE_M2 = float(os.environ.get("WANGGE_BOUNDARY_OUTSIDE_TOLERANCE_M2", "50"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WANGGE_LOG_LEVEL", "WARNING")},
}

# Every other tunable the apps read with getattr(settings, "WANGGE_…", default) — time limits of wishes,
# pairing and volunteer offers, upload limits, metric weights — can be set from the environment too:
# a JSON value (number, true/false, list, object) or a plain string.
for _name, _raw in os.environ.items():
    if _name.startswith("WANGGE_") and _name not in globals():
        try:
            globals()[_name] = json.loads(_raw)
        except ValueError:
            globals()[_name] = _raw
