"""Kehu settings: 12-factor, every knob an environment variable with a safe embedded default.

docs/configuration.md lists every variable. Two modes:
- embedded (default): SQLite in the data directory, secrets generated on first start and kept
  there, plain HTTP on 127.0.0.1;
- production (``KEHU_ENV=production``): secrets must be given, HTTPS-only cookies, HSTS.
"""

import contextlib
import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from kehu.config.env import env_bool, env_int, env_list, env_str, persistent_secret, secret_list

# Django classes take type parameters at run time as they do for the type checker
# (`forms.ModelForm[Product]`).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PACKAGE_DIR = BASE_DIR / "kehu"

KEHU_ENV = env_str("KEHU_ENV", "embedded")
if KEHU_ENV not in {"embedded", "production"}:
    raise ImproperlyConfigured("KEHU_ENV must be 'embedded' or 'production'.")
PRODUCTION = KEHU_ENV == "production"

DATA_DIR = Path(env_str("KEHU_DATA_DIR", str(BASE_DIR / "data"))).resolve()
if xdist_worker := os.environ.pop("PYTEST_XDIST_WORKER", None):
    # Parallel test processes (scripts/test.sh) keep their cache, media and keys apart; the
    # commands a test starts (kehu setup, import, serve) use the directory they are given.
    DATA_DIR = DATA_DIR / xdist_worker
# Everything this process creates (database and its WAL, task queue, cache, exports, imports,
# media, secrets) is readable by its owner only; the data directory is closed to others.
os.umask(0o077)
DATA_DIR.mkdir(parents=True, exist_ok=True)
with contextlib.suppress(PermissionError):  # a directory someone else owns: its owner decides
    DATA_DIR.chmod(0o700)

SECRET_KEY = persistent_secret(
    "KEHU_SECRET_KEY", DATA_DIR / "secret_key", production=PRODUCTION, kind="django"
)
# Fernet keys for sensitive customer fields; the first encrypts, all decrypt (key rotation).
# Outside production a missing key file is generated only for a new archive; with a database
# already there, kehu.core.keys decides (it refuses when encrypted data exists: see
# docs/operations.md, "A lost or wrong key").
FIELD_ENCRYPTION_KEY_FILE = DATA_DIR / "field_encryption_key"
FIELD_ENCRYPTION_KEYS = secret_list(
    "KEHU_FIELD_ENCRYPTION_KEY",
    FIELD_ENCRYPTION_KEY_FILE,
    production=PRODUCTION,
    kind="fernet",
    generate=not (DATA_DIR / "kehu.sqlite3").exists() and "DATABASE_URL" not in os.environ,
)
# Keys of the keyed hashes that find encrypted values exactly (ID numbers, e-mails, credit
# codes): the first writes, all are searched. Without one, an archive made before this key
# existed keeps hashing with a key derived from the encryption key until `kehu keys rotate`.
FIELD_LOOKUP_KEY_FILE = DATA_DIR / "field_lookup_key"
FIELD_LOOKUP_KEYS = secret_list(
    "KEHU_FIELD_LOOKUP_KEY",
    FIELD_LOOKUP_KEY_FILE,
    production=False,
    kind="lookup",
    generate=not PRODUCTION,
)

DEBUG = env_bool("KEHU_DEBUG", False)
if DEBUG and PRODUCTION:
    raise ImproperlyConfigured("KEHU_DEBUG must be off in production: it shows internals.")
ALLOWED_HOSTS = env_list("KEHU_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("KEHU_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "huey.contrib.djhuey",
    "ninja",
    "kehu.core",
    "kehu.accounts",
    "kehu.customers",
    "kehu.search",
    "kehu.interactions",
    "kehu.tasks",
    "kehu.pool",
    "kehu.intake",
    "kehu.sales",
    "kehu.service",
    "kehu.imports",
    "kehu.dedup",
    "kehu.quality",
    "kehu.exports",
    "kehu.analytics",
    "kehu.basket",
    "kehu.knowledge",
    "kehu.demo",
    "kehu.privacy",
    "kehu.bulk",
    "kehu.loyalty",
    "kehu.marketing",
    "kehu.oversight",
    "kehu.surveys",
    "kehu.insight",
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
    "kehu.accounts.middleware.SessionTimeoutMiddleware",
    "kehu.accounts.middleware.LoginRequiredMiddleware",
    "kehu.accounts.middleware.TwoFactorEnrolmentMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kehu.config.urls"
WSGI_APPLICATION = "kehu.config.wsgi.application"

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
                "csp.context_processors.nonce",
                "kehu.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'kehu.sqlite3'}")
# Connections are kept between requests (each gunicorn thread holds one): opening one costs
# more than a simple API answer, and a kept SQLite connection keeps its page cache.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("KEHU_DB_CONN_MAX_AGE", 600)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + synchronous=FULL: a committed write survives a crash. IMMEDIATE transactions take the
    # write lock up front, so concurrent writers wait (busy timeout) instead of failing with
    # "database is locked" half-way through a transaction. mmap_size lets reads use the
    # operating system's cache without copying; cache_size is per connection (negative: KiB).
    SQLITE_MMAP_MB = env_int("KEHU_SQLITE_MMAP_MB", 256)
    SQLITE_CACHE_MB = env_int("KEHU_SQLITE_CACHE_MB", 16)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            f" PRAGMA busy_timeout=30000; PRAGMA mmap_size={SQLITE_MMAP_MB * 1024 * 1024};"
            f" PRAGMA cache_size=-{SQLITE_CACHE_MB * 1024};"
        ),
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, task queue --------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # File cache: shared by every process on the machine (gunicorn workers, the task worker).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

HUEY = {
    "name": "kehu",
    "immediate": env_bool("KEHU_TASKS_IMMEDIATE", False),
    "utc": True,
    "consumer": {"workers": env_int("KEHU_TASK_WORKERS", 2), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "tasks.sqlite3")})

# Customer value analytics (kehu.analytics.config checks these; docs/configuration.md lists them).
KEHU_ANALYTICS = {
    "hour": env_int("KEHU_ANALYTICS_HOUR", 3),  # the nightly refresh, local time
    "tier_cuts": env_str("KEHU_ANALYTICS_TIER_CUTS", "80,95"),  # % of revenue closing A, B
    "rfm_thresholds": env_str("KEHU_ANALYTICS_RFM_THRESHOLDS", ""),  # "" = quintiles
    "discount_rate": env_str("KEHU_ANALYTICS_DISCOUNT_RATE", "10"),  # % a year, for CLV
    "churn_p_alive_below": env_str("KEHU_ANALYTICS_CHURN_P_ALIVE", "50"),  # %
    "churn_min_m_score": env_int("KEHU_ANALYTICS_CHURN_M_SCORE", 4),
}

# The nightly backup (kehu.core.tasks.nightly_backup; docs/operations.md). KEEP=0 turns it off.
# Backups without a passphrase file are not encrypted; the encryption key is never in them.
KEHU_BACKUP = {
    "dir": env_str("KEHU_BACKUP_DIR", str(DATA_DIR / "backups")),
    "keep": env_int("KEHU_BACKUP_KEEP", 7),
    "hour": env_int("KEHU_BACKUP_HOUR", 1),  # server time
    "passphrase_file": env_str("KEHU_BACKUP_PASSPHRASE_FILE", ""),
}

# --- Authentication, sessions -------------------------------------------------------------
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
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A one-time password-reset link (kehu.accounts.reset_links) works this long after it is made.
PASSWORD_RESET_TIMEOUT = env_int("KEHU_PASSWORD_RESET_HOURS", 24) * 3600
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Idle timeout: signed out after this long without a request. Absolute: signed out this long
# after signing in, however active. Enforced by accounts.middleware.SessionTimeoutMiddleware.
SESSION_IDLE_TIMEOUT = env_int("KEHU_SESSION_IDLE_MINUTES", 60) * 60
SESSION_ABSOLUTE_TIMEOUT = env_int("KEHU_SESSION_ABSOLUTE_HOURS", 12) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "kehu_session"
CSRF_COOKIE_NAME = "kehu_csrftoken"

# Login throttling (django-axes, limits in kehu.accounts.lockout): a username from one address,
# a username from any address, an address for any username.
AXES_HANDLER = "kehu.accounts.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = env_int("KEHU_LOGIN_FAILURE_LIMIT", 5)
KEHU_LOGIN_USER_FAILURE_LIMIT = env_int("KEHU_LOGIN_USER_FAILURE_LIMIT", 20)
KEHU_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("KEHU_LOGIN_ADDRESS_FAILURE_LIMIT", 50)
# Repeated lockouts of one username or address within a day alert the administrators.
KEHU_LOCKOUT_ALERT_THRESHOLD = env_int("KEHU_LOCKOUT_ALERT_THRESHOLD", 3)
# Uploaded import files of unfinished batches are deleted this many days after their last change
# (an imported or undone batch's file goes within 15 minutes).
KEHU_IMPORT_FILE_DAYS = env_int("KEHU_IMPORT_FILE_DAYS", 7)
# A data-subject request (access, copy, correction, deletion…) is due this many days after it
# was received (PIPL; kehu.privacy).
KEHU_PRIVACY_REQUEST_DAYS = env_int("KEHU_PRIVACY_REQUEST_DAYS", 15)
# Audit events are kept this many days (3 years by default), then deleted by a nightly job that
# records how many it deleted. 0 keeps them for ever.
KEHU_AUDIT_KEEP_DAYS = env_int("KEHU_AUDIT_KEEP_DAYS", 3 * 365)
# A person's API token without an expiry expires after this many days.
KEHU_TOKEN_DEFAULT_DAYS = env_int("KEHU_TOKEN_DEFAULT_DAYS", 90)
AXES_COOLOFF_TIME = env_int("KEHU_LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "kehu.accounts.views.lockout_response"
AXES_CLIENT_IP_CALLABLE = "kehu.core.http.client_ip"
KEHU_PROXY_COUNT = env_int("KEHU_PROXY_COUNT", 0)  # trusted reverse proxies in front
AXES_VERBOSE = False

# Two-factor sign-in (TOTP, kehu.accounts.twofactor): the roles that must use it. Wrong codes
# count towards the sign-in lockout above; django-otp's own throttle is off so one rule applies.
KEHU_2FA_REQUIRED_ROLES = env_list(
    "KEHU_2FA_REQUIRED_ROLES", ["admin", "archive_admin"] if PRODUCTION else []
)
OTP_TOTP_ISSUER = env_str("KEHU_2FA_ISSUER", "Kehu")
OTP_TOTP_THROTTLE_FACTOR = 0

# --- Security headers ---------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "kehu.core.views.csrf_failure"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("KEHU_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("KEHU_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("KEHU_HSTS_PRELOAD", False)
    if env_bool("KEHU_BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = env_str("KEHU_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("KEHU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "kehu_language"

# --- E-mail (replies to customers from service cases) ------------------------------------
# The console backend prints mail to the log until SMTP is configured.
EMAIL_BACKEND = env_str("KEHU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("KEHU_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("KEHU_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("KEHU_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("KEHU_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("KEHU_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("KEHU_EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("KEHU_EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("KEHU_EMAIL_FROM", "kehu@localhost")
# Customers' answers go to this address with the case in its "+" part
# (service+SR-000123.k3x9…@example.com); the inbound webhook attaches them to the case.
KEHU_SERVICE_REPLY_TO = env_str("KEHU_SERVICE_REPLY_TO", "")

# Marketing campaigns: at most ``frequency_cap`` campaign contacts per customer in
# ``frequency_days`` days across campaigns; e-mails sent ``batch_size`` at a time, at most
# ``per_second`` a second, each retried ``max_attempts`` times; SMS through ``sms_provider``.
KEHU_MARKETING = {
    "frequency_cap": env_int("KEHU_MARKETING_FREQUENCY_CAP", 4),
    "frequency_days": env_int("KEHU_MARKETING_FREQUENCY_DAYS", 30),
    "batch_size": env_int("KEHU_MARKETING_BATCH_SIZE", 200),
    "per_second": env_int("KEHU_MARKETING_PER_SECOND", 50),
    "max_attempts": env_int("KEHU_MARKETING_MAX_ATTEMPTS", 3),
    "sms_provider": env_str("KEHU_SMS_PROVIDER", "kehu.marketing.sms.LoggingProvider"),
    "sms_signature": env_str("KEHU_SMS_SIGNATURE", "客户"),
    "sms_url": env_str("KEHU_SMS_URL", ""),
    "sms_key": env_str("KEHU_SMS_KEY", ""),
    "webhook_token": env_str("KEHU_SMS_WEBHOOK_TOKEN", ""),
    "email_webhook_token": env_str("KEHU_EMAIL_WEBHOOK_TOKEN", ""),
    "base_url": env_str("KEHU_BASE_URL", "http://127.0.0.1:8000"),
}

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"

# --- API ----------------------------------------------------------------------------------
NINJA_PAGINATION_CLASS = "kehu.core.pagination.BoundedCursorPagination"
NINJA_PAGINATION_PER_PAGE = 50
NINJA_MAX_PER_PAGE_SIZE = 200
NINJA_PAGINATION_DEFAULT_ORDERING = ("-id",)

# --- Logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("KEHU_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Django admin is kept for admins only (user/team maintenance); Kehu's own UI is the product.
ADMIN_URL = "admin/"
