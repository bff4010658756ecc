"""Net Desk settings: one module, read from the environment.

A fresh clone runs on SQLite with tasks executed in-process; DATABASE_URL and REDIS_URL switch on
PostgreSQL and Redis (broker and cache). Production sets DEBUG=0 and SECRET_KEY (or SECRET_KEY_FILE).
"""

import datetime
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF

from netdesk.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
# Development and tests may use a throw-away key; production must supply its own.
SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-change-me" if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The address the certificates' QR codes, the verification links and the handover notices print.
# Production sets it; in development it follows the port `make run` serves on (PORT), so that
# what the demo issues opens on this machine.
# Without its trailing slash, so that every address is written SITE_URL + "/path/".
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{env_int('PORT', 8000)}").rstrip("/")

INSTALLED_APPS = [
    "netdesk.apps.AdminConfig",  # django.contrib.admin with the two-factor site (netdesk.admin)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_otp",
    "netdesk.apps.TOTPDeviceConfig",  # django_otp.plugins.otp_totp
    "netdesk.apps.StaticDeviceConfig",  # django_otp.plugins.otp_static
    "netdesk.apps.AxesConfig",  # axes
    "core",
    "accounts",
    "obligees",
    "obligee_portal",
    "applications",
    "guarantees",
    "fees",
    "notifications",
    "members",
    "registrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",  # django-csp
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After OTPMiddleware (it asks whether the session is verified by a device).
    "members.second_factor.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.IdleTimeoutMiddleware",
    "core.middleware.ControlCharacterMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it turns a sign-in refused by django-axes into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "netdesk.urls"
WSGI_APPLICATION = "netdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.roles.rights",
            ],
            "builtins": ["core.templatetags.netdesk"],
        },
    },
]

# Database: SQLite by default; DATABASE_URL (postgres://...) for PostgreSQL.
# Persistent connections: opening a PostgreSQL connection per request costs ~10x throughput.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` serves concurrent requests from threads. WAL lets readers go on while one writes;
    # IMMEDIATE takes the write lock when a transaction begins, so a second writer waits (up to
    # the busy timeout) instead of failing with "database is locked" half-way through.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests run on a file too (pytest-django would use memory, shared by all threads of the live
    # server), so that concurrent requests in tests meet the same locking as `make run`.
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test-db.sqlite3")}
    # SQLite has no covering indexes (INCLUDE columns); the one index with them is built on
    # PostgreSQL only anyway (core.postgres), so the warning that SQLite would leave its INCLUDE
    # columns out says nothing here.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "applications:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env_list(
    "PASSWORD_HASHERS",
    [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ],
)

# Japanese first; English as the second language. The Japanese wording of the seed screens is
# the source text, English is its translation (locale/en).
LANGUAGE_CODE = "ja"
# Each language is named in itself, so that a reader of either can find the switch.
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Tokyo"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Sessions read through the cache (Redis in production): one database query less per page.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Signed out after this long without a request (core.middleware.IdleTimeoutMiddleware): staff
# hold every branch's applications, portal users only their own organisation's.
SESSION_IDLE_TIMEOUT_STAFF = datetime.timedelta(minutes=env_int("SESSION_IDLE_MINUTES_STAFF", 30))
SESSION_IDLE_TIMEOUT = datetime.timedelta(minutes=env_int("SESSION_IDLE_MINUTES", 240))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Redis: Celery broker and the shared cache. Without it tasks run in-process (eager): `make run`
# needs no worker. With it, `make worker` (or compose's worker and beat) runs them. The test suite
# runs tasks in-process whatever REDIS_URL says (tests/conftest.py); only tests/integration starts
# a real worker.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://localhost/"  # never used: tasks run eagerly
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when it has finished, and given back to the queue when its worker dies:
# every task is safe to run twice, none may be lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
# A request that queues a task must not hang on an unreachable broker: give up quickly (the row
# the task would work on is committed already, and a periodic sweep picks it up).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": env_int("CELERY_BROKER_CONNECT_TIMEOUT", 3),
    # An unacknowledged task (its worker was killed) is delivered again after this long.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
# Periodic sweeps (beat) do what a lost or never-queued task left undone; each entry expires
# after one period, so sweeps never pile up behind a busy or stopped worker.
OUTBOX_SWEEP_SECONDS = env_int("OUTBOX_SWEEP_SECONDS", 60)
# Issuance requested this long ago and still not done is picked up by the issuance sweep (a task
# queued a moment ago may simply be waiting for a worker).
ISSUANCE_SWEEP_SECONDS = env_int("ISSUANCE_SWEEP_SECONDS", 60)
ISSUANCE_SWEEP_GRACE_SECONDS = env_int("ISSUANCE_SWEEP_GRACE_SECONDS", 120)
# Renewal of document timestamps (guarantees.renewal): a certificate whose newest timestamp's TSA
# certificate expires within RENEWAL_MARGIN_DAYS gets a new one, at RENEWAL_HOUR (Japan time)
# each night (every RENEWAL_EVERY_SECONDS instead when set: tests), RENEWAL_BATCH_SIZE
# certificates a batch.
RENEWAL_MARGIN_DAYS = env_int("RENEWAL_MARGIN_DAYS", 180)
RENEWAL_HOUR = env_int("RENEWAL_HOUR", 1)
RENEWAL_EVERY_SECONDS = env_int("RENEWAL_EVERY_SECONDS", 0)
RENEWAL_BATCH_SIZE = env_int("RENEWAL_BATCH_SIZE", 200)
CELERY_BEAT_SCHEDULE = {
    # E-mails due: retries after their back-off, and messages whose send task was never queued.
    "outbox-sweep": {
        "task": "notifications.tasks.outbox_sweep",
        "schedule": OUTBOX_SWEEP_SECONDS,
        "options": {"expires": OUTBOX_SWEEP_SECONDS},
    },
    # Approved electronic guarantees whose issuance was never queued (broker down) or never
    # finished (worker killed): issued once each.
    "issuance-sweep": {
        "task": "guarantees.tasks.issue_overdue",
        "schedule": ISSUANCE_SWEEP_SECONDS,
        "options": {"expires": ISSUANCE_SWEEP_SECONDS},
    },
    # 期間満了: guarantees whose guarantee period ended yesterday or before, shortly after
    # midnight (Japan time); run again, it finds nothing left to mark.
    "guarantee-expiry": {
        "task": "guarantees.tasks.expire_guarantees",
        "schedule": crontab(hour=0, minute=30),
        "options": {"expires": 23 * 60 * 60},
    },
    # Document timestamps renewed before they stop proving anything; the first run also brings
    # certificates signed B-T up to B-LTA. Run again, it finds nothing due.
    "certificate-renewal": {
        "task": "guarantees.tasks.renew_certificates",
        "schedule": RENEWAL_EVERY_SECONDS or crontab(hour=RENEWAL_HOUR, minute=0),
        "options": {"expires": RENEWAL_EVERY_SECONDS or 23 * 60 * 60},
    },
}

# The surety company as its documents name it (certificates, notices, fee statements).
SURETY_COMPANY = {
    "name": env_str("SURETY_COMPANY_NAME", "ネットデスク建設業保証株式会社"),
    "representative": env_str("SURETY_COMPANY_REPRESENTATIVE", "代表取締役社長 保証 一郎"),
    "address": env_str("SURETY_COMPANY_ADDRESS", "東京都中央区八丁堀二丁目1番1号"),
}

# Signing certificates (PAdES B-LTA): the company's key and certificate (with its issuing CA's), the
# trust roots and the CRLs of each issuer (carried in every certificate PDF), the company's earlier
# signing certificates (after a key rotation: what they signed is still the company's), and the
# time-stamping authority with its issuing CA. The signing certificates and the TSA's have CAs of
# their own under one root, so that the TSA's revocation data, renewed with each document
# timestamp, never speaks of the signer's chain. TSA_URL empty: stamp in-process with the local
# TSA key and certificate (development and tests only). `manage.py make_dev_ca` writes all of
# these, the CAs' keys included (they issue the CRLs, the next signing certificate on `--rotate`
# and the next TSA certificate on `--rotate-tsa`); production has none of the *_CA_KEY_PATH files.
PKI_DIR = Path(env_str("PKI_DIR", str(BASE_DIR / "var" / "pki")))
SIGNING_KEY_PATH = Path(env_str("SIGNING_KEY_PATH", str(PKI_DIR / "signing-key.pem")))
SIGNING_CERT_PATH = Path(env_str("SIGNING_CERT_PATH", str(PKI_DIR / "signing-cert.pem")))
SIGNING_CA_PATH = Path(env_str("SIGNING_CA_PATH", str(PKI_DIR / "root-ca-cert.pem")))
ROOT_CA_KEY_PATH = Path(env_str("ROOT_CA_KEY_PATH", str(PKI_DIR / "root-ca-key.pem")))
ROOT_CRL_PATH = Path(env_str("ROOT_CRL_PATH", str(PKI_DIR / "root-ca.crl")))
SIGNING_CA_KEY_PATH = Path(env_str("SIGNING_CA_KEY_PATH", str(PKI_DIR / "signing-ca-key.pem")))
SIGNING_CRL_PATH = Path(env_str("SIGNING_CRL_PATH", str(PKI_DIR / "signing-ca.crl")))
SIGNING_PREVIOUS_CERTS_PATH = Path(
    env_str("SIGNING_PREVIOUS_CERTS_PATH", str(PKI_DIR / "previous-signing-certs.pem"))
)
TSA_URL = env_str("TSA_URL", "")
TSA_KEY_PATH = Path(env_str("TSA_KEY_PATH", str(PKI_DIR / "tsa-key.pem")))
TSA_CERT_PATH = Path(env_str("TSA_CERT_PATH", str(PKI_DIR / "tsa-cert.pem")))
TSA_CA_CERT_PATH = Path(env_str("TSA_CA_CERT_PATH", str(PKI_DIR / "tsa-ca-cert.pem")))
TSA_CA_KEY_PATH = Path(env_str("TSA_CA_KEY_PATH", str(PKI_DIR / "tsa-ca-key.pem")))
TSA_CRL_PATH = Path(env_str("TSA_CRL_PATH", str(PKI_DIR / "tsa-ca.crl")))

# Authentication keys (認証キー): looked up by HMAC-SHA256 with AUTH_KEY_HMAC_SECRET, stored
# encrypted with Fernet (AUTH_KEY_FERNET_KEYS: comma-separated, the first encrypts, all decrypt, so
# a key can be rotated). Unset, both are derived from SECRET_KEY (guarantees.keys).
AUTH_KEY_HMAC_SECRET = env_str("AUTH_KEY_HMAC_SECRET", "")
AUTH_KEY_FERNET_KEYS = [
    k.strip() for k in env_str("AUTH_KEY_FERNET_KEYS", "").split(",") if k.strip()
]

# E-mail: console in development, SMTP in production (EMAIL_HOST etc.).
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)  # seconds; Django's default waits forever
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Net Desk <netdesk@example.jp>")
# The outbox (notifications.services): a failed send is tried again after BASE, 2×BASE, 4×BASE …
# seconds; after MAX_ATTEMPTS attempts the message is marked 送信失敗 (head office can resend it).
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 60)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
# How long a sender owns a message it has claimed: longer than any SMTP conversation can take
# (EMAIL_TIMEOUT per step), so that no other sender takes it over while it is being sent.
OUTBOX_CLAIM_SECONDS = env_int("OUTBOX_CLAIM_SECONDS", 600)

# Security: secure cookies and HSTS whenever not in DEBUG.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# The language switch is a form post; no script reads the cookie.
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): only our own files run, no inline script or style, no
# plugins, no framing, forms post only to us. Bootstrap's CSS draws its check marks and select
# arrows as data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
    }
}
# Browser features no page uses are switched off; the camera stays for scanning QR codes on the
# obligee pages (core.middleware.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = {
    "camera": "(self)",
    **{
        feature: "()"
        for feature in (
            "accelerometer",
            "autoplay",
            "display-capture",
            "geolocation",
            "gyroscope",
            "hid",
            "magnetometer",
            "microphone",
            "midi",
            "payment",
            "publickey-credentials-get",
            "screen-wake-lock",
            "serial",
            "usb",
            "xr-spatial-tracking",
        )
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # axes reports every sign-in at INFO; failures and lockouts are WARNING.
        "axes": {"level": "WARNING"},
        # WeasyPrint logs seven progress steps of every PDF at INFO.
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# The client's address as seen by the outermost of TRUSTED_PROXY_COUNT reverse proxies in front
# of gunicorn (0: REMOTE_ADDR); the lockout and the rate limits count per address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# django-axes first: it refuses a locked-out address before any password is checked. Every
# authenticate() call must pass the request (Django's LoginView does).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.UserWithOrganisationBackend",
]

# Login lockout (django-axes) for every persona, on the e-mail address (normalised as the forms
# do, whichever sign-in form was used) and IP address together: a stranger's wrong guesses lock
# only the stranger's own connection, the owner still signs in from elsewhere (and axes.W006, which
# asks for the IP address among the lockout parameters, is satisfied). Against password spraying
# (one IP address trying a few passwords on many accounts) there is a ceiling per IP address
# alone, much higher so that one person's typos cannot lock out a whole office behind one IP
# address (accounts.lockout.LockoutHandler). Deleting the access attempts in the admin
# (ログイン制限) unlocks at once; otherwise a lock opens AXES_COOLOFF_MINUTES after the last failure.
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
LOGIN_FAILURE_LIMIT_PER_IP = env_int("LOGIN_FAILURE_LIMIT_PER_IP", 30)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.forms.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

# Cache-based rate limits (core.ratelimit): scope -> (attempts, window in seconds). Password
# reset e-mails per address (a mailbox is not flooded) and per IP address (nobody probes or mails
# many addresses). The password asked before an authentication key is shown, per user: wrong
# passwords in a row (a success starts the count again), so that someone at an unattended,
# signed-in screen cannot guess their way to the keys.
RATE_LIMITS = {
    "password-reset-address": (env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 3), 3600),
    "password-reset-ip": (env_int("PASSWORD_RESET_LIMIT_PER_IP", 20), 3600),
    "key-reveal-user": (env_int("KEY_REVEAL_LIMIT_PER_USER", 5), 900),
    # 認証キーの登録 by obligee users: wrong pairs per user and per IP address (an office shares one).
    "key-register-user": (env_int("KEY_REGISTER_LIMIT_PER_USER", 5), 900),
    "key-register-ip": (env_int("KEY_REGISTER_LIMIT_PER_IP", 20), 900),
    # 保証証書PDFの確認 (the page and POST /api/verify/) per IP address a minute: checking a
    # signature costs CPU, and an e-procurement system checks one file at a time.
    "verify-ip": (env_int("VERIFY_LIMIT_PER_IP", 60), 60),
    # Invitations: e-mails sent (invite, re-send) an hour per address and per IP address, and
    # invitation links opened or posted per IP address in 15 minutes.
    "invitation-send-address": (env_int("INVITATION_LIMIT_PER_ADDRESS", 5), 3600),
    "invitation-send-ip": (env_int("INVITATION_LIMIT_PER_IP", 50), 3600),
    "invitation-link-ip": (env_int("INVITATION_LINK_LIMIT_PER_IP", 30), 900),
    # One's own account: wrong second-factor codes (sign-in, enrolment, turning it off) per user
    # and per IP address in 15 minutes; e-mail address changes asked an hour per user and per IP
    # address; their links opened or posted per IP address in 15 minutes.
    "second-factor-user": (env_int("SECOND_FACTOR_LIMIT_PER_USER", 5), 900),
    "second-factor-ip": (env_int("SECOND_FACTOR_LIMIT_PER_IP", 30), 900),
    "email-change-user": (env_int("EMAIL_CHANGE_LIMIT_PER_USER", 3), 3600),
    "email-change-ip": (env_int("EMAIL_CHANGE_LIMIT_PER_IP", 20), 3600),
    "email-change-link-ip": (env_int("EMAIL_CHANGE_LINK_LIMIT_PER_IP", 30), 900),
    # 利用申込: applications sent an hour per address and per IP address, and confirmation links
    # opened or posted per IP address in 15 minutes.
    "registration-address": (env_int("REGISTRATION_LIMIT_PER_ADDRESS", 3), 3600),
    "registration-ip": (env_int("REGISTRATION_LIMIT_PER_IP", 10), 3600),
    "registration-link-ip": (env_int("REGISTRATION_LINK_LIMIT_PER_IP", 30), 900),
}
# 保証証書PDFの確認: the largest file checked (a certificate is about 70 KB; checking costs CPU in
# proportion to the size), and how many checks one process runs at once (more are refused with
# 503 and Retry-After rather than queued).
VERIFY_MAX_PDF_BYTES = env_int("VERIFY_MAX_PDF_BYTES", 2 * 1024 * 1024)
VERIFY_CONCURRENT_CHECKS = env_int("VERIFY_CONCURRENT_CHECKS", 1)

# Two-factor sign-in for the admin (django-otp). Wrong codes are throttled by django-otp itself
# (OTP_TOTP_THROTTLE_FACTOR / OTP_STATIC_THROTTLE_FACTOR, default 1 s doubling per failure).
OTP_TOTP_ISSUER = "Net Desk"
