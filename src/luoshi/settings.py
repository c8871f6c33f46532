"""The one settings module. Every value comes from the environment; a bad value stops start-up.

Variables (all optional):
  DATABASE_URL     sqlite:///path or postgres://user:pass@host:5432/db   (default: SQLite under var/)
  REDIS_URL        redis://host:6379/0 — task queue and cache on Redis (default: embedded SQLite queue)
  SECRET_KEY       or SECRET_KEY_FILE (default: generated once and kept in var/secret_key)
  DEBUG            true/false (default false, also for `luoshi demo`); even when on, users get the app's own
                   404 and 500 pages (luoshi.core.error_pages), never Django's technical ones
  ALLOWED_HOSTS    comma-separated (default 127.0.0.1,localhost)
  LUOSHI_VAR_DIR   where the SQLite file, uploads, the queue and the generated key live (default ./var)
  LUOSHI_WEBHOOK_URL  group-robot webhook (WeCom / DingTalk style) that receives notifications
  EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD(_FILE), EMAIL_USE_TLS, DEFAULT_FROM_EMAIL
  LUOSHI_UPLOAD_MAX_MB  largest accepted attachment (default 20)
  LUOSHI_LOGIN_FAILURE_LIMIT, LUOSHI_LOGIN_COOLOFF_MINUTES  lockout after failed logins (5, 15)
  LUOSHI_PROXY_COUNT  how many reverse proxies stand in front (for the client address; default 0)
  LUOSHI_TLS_PROXY true when a proxy terminates HTTPS and sends X-Forwarded-Proto (default false)
  CSRF_TRUSTED_ORIGINS  comma-separated origins, e.g. https://luoshi.example.gov.cn
  SESSION_COOKIE_SECURE true to send cookies over HTTPS only (default false; true under LUOSHI_TLS_PROXY)
  TIME_ZONE        default Asia/Shanghai
  LOG_LEVEL        default WARNING (luoshi's own messages: INFO)
  WEB_CONCURRENCY  gunicorn worker processes for `luoshi serve` (default 2)
  LUOSHI_DEMO      true when the database holds the demo district (prints and enables demo helpers)
  LUOSHI_ANALYTICS_ENGINE  duckdb (default: in the worker's process) or spark (the member sweep and the
                   duplicate search on a Spark cluster: LUOSHI_SPARK_MASTER, default local[*], and
                   LUOSHI_SPARK_WORKDIR, a folder the executors share; needs pyspark, requirements/spark.lock)
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent


def _fail(name: str, why: str):
    # One line naming the variable, then stop: a half-configured server is worse than none.
    raise SystemExit(f"luoshi: bad setting {name}: {why}")


def env_str(name: str, default: str = "") -> str:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            _fail(f"{name}_FILE", f"cannot read {file_name} ({exc.strerror})")
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return _fail(name, f"expected true or false, got {raw!r}")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        return _fail(name, f"expected a whole number, got {raw!r}")
    if value < minimum:
        _fail(name, f"expected at least {minimum}, got {value}")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


VAR_DIR = Path(os.environ.get("LUOSHI_VAR_DIR") or Path.cwd() / "var").resolve()
try:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
except OSError as exc:
    _fail("LUOSHI_VAR_DIR", f"cannot create {VAR_DIR} ({exc.strerror})")

DEBUG = env_bool("DEBUG", False)
DEMO = env_bool("LUOSHI_DEMO", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        # Created readable by the owner only from the first byte, not chmod-ed afterwards.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(50))
    SECRET_KEY = key_file.read_text(encoding="utf-8").strip()
elif len(SECRET_KEY) < 32:
    _fail("SECRET_KEY", "must be at least 32 characters")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

_database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'luoshi.sqlite3'}"
try:
    _database = dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
except Exception as exc:  # dj_database_url raises several kinds; all mean the URL is wrong
    _fail("DATABASE_URL", f"cannot parse {_database_url!r} ({exc})")
if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        # WAL lets the web server and the task worker read while the other writes; IMMEDIATE makes
        # writers queue on the lock instead of failing with "database is locked" halfway through.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif _database["ENGINE"] not in ("django.db.backends.postgresql",):
    _fail("DATABASE_URL", "only sqlite:// and postgres:// are supported")
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL and urlparse(REDIS_URL).scheme not in ("redis", "rediss", "unix"):
    _fail("REDIS_URL", f"expected redis://host:port/db, got {REDIS_URL!r}")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "huey.contrib.djhuey",
    "luoshi.core",
    "luoshi.orgs",
    "luoshi.accounts",
    "luoshi.duty",
    "luoshi.inspections",
    "luoshi.accountability",
    "luoshi.sites",
    "luoshi.assessment",
    "luoshi.members",
    "luoshi.orglife",
    "luoshi.reports",
    "luoshi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "luoshi.accounts.middleware.LanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "luoshi.accounts.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "luoshi.core.error_pages.ErrorPagesMiddleware",  # after the user, language and messages: the menu shows
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "luoshi.urls"
WSGI_APPLICATION = "luoshi.wsgi.application"

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
                "luoshi.core.context_processors.luoshi",
            ],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
TLS_PROXY = env_bool("LUOSHI_TLS_PROXY", False)
if TLS_PROXY:
    # Only behind a proxy that sets the header itself; otherwise a client could claim HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", TLS_PROXY)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Login lockout (django-axes): failures are counted per user name and client address together, so a
# stranger cannot lock a colleague out from elsewhere by guessing at their name.
AXES_FAILURE_LIMIT = env_int("LUOSHI_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LUOSHI_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "luoshi.accounts.views.lockout_response"
AXES_IPWARE_PROXY_COUNT = env_int("LUOSHI_PROXY_COUNT", 0)
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "Luoshi"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(
    exist_ok=True
)  # optional: `luoshi manage collectstatic` puts files here; WhiteNoise checks it
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Static files are served by the app itself from the package (no CDN, no collectstatic step needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = VAR_DIR / "media"
UPLOAD_MAX_BYTES = env_int("LUOSHI_UPLOAD_MAX_MB", 20, minimum=1) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "luoshi",
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
    }
else:
    # A directory, not process memory: the web server's processes and the worker must see one cache, so that
    # a change made in one process invalidates derived figures in all of them (see luoshi.core.cache).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "luoshi",
        "filename": str(VAR_DIR / "queue.sqlite3"),
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
    }

ANALYTICS_ENGINE = os.environ.get("LUOSHI_ANALYTICS_ENGINE", "duckdb")
if ANALYTICS_ENGINE not in ("duckdb", "spark"):
    _fail("LUOSHI_ANALYTICS_ENGINE", f"expected duckdb or spark, got {ANALYTICS_ENGINE!r}")

WEBHOOK_URL = os.environ.get("LUOSHI_WEBHOOK_URL", "")
if WEBHOOK_URL and urlparse(WEBHOOK_URL).scheme not in ("http", "https"):
    _fail("LUOSHI_WEBHOOK_URL", f"expected an http(s) URL, got {WEBHOOK_URL!r}")

DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "luoshi@localhost")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
else:
    # No mail server configured: mails are written as files under var/mail so nothing is lost.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes a missing login answer 401, not 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "luoshi.core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Luoshi API",
    "DESCRIPTION": (
        "Organizations, positions, obligations and the inbox; responsibility letters and tasks; inspections, "
        "rectifications, accountability records and service centers. Every endpoint is scoped to the "
        "caller's roles."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ReviewDecisionEnum": ["accept", "return"],
        "ProposalDecisionEnum": ["confirm", "dismiss"],
        "MeetingKindEnum": "luoshi.orglife.models.MeetingKind",
        "AgendaItemEnum": "luoshi.orglife.models.AgendaItem",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"luoshi": {"level": os.environ.get("LOG_LEVEL", "INFO")}},
}
