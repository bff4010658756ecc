"""The set-up every bench shares: which PostgreSQL database it may drop, the production-like
environment its process and its servers read, and a freshly migrated database.

Each bench script runs as `python bench/<name>.py`, so it first puts the repository root on
sys.path itself (before it can import this module)."""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/netdesk_bench"

# Production settings, in every bench.
PRODUCTION = {"DEBUG": "0", "CONN_MAX_AGE": "600", "LOG_LEVEL": "WARNING"}
# The pages served over plain HTTP on loopback (no TLS proxy in front), with the floor page and
# the stock admin (bench/settings.py).
SERVED = {
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    # Used once settings read STATIC_ROOT from the environment; until then: var/static.
    "STATIC_ROOT": str(OUT / "static"),
}


def database_url(database: str | None = None) -> str:
    """DATABASE_URL's server (PostgreSQL only) with the bench's own database `database`, so that
    a working database is never dropped. Without `database`: DATABASE_URL's own database if its
    name contains "bench", otherwise `netdesk_bench`."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(f"bench needs PostgreSQL; DATABASE_URL={url!r}")
    if database is None and "bench" in parts.path:
        return url
    return urlunsplit(parts._replace(path=f"/{database or 'netdesk_bench'}"))


def configure_environment(url: str, **values: str) -> dict[str, str]:
    """Set, for this process and the servers and workers it starts alike (sessions need the same
    key), the production settings, the database and `values`; returns what was set."""
    chosen = {
        **PRODUCTION,
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        **values,
    }
    for name, value in chosen.items():
        os.environ.pop(f"{name}_FILE", None)  # settings prefer NAME_FILE over NAME
        os.environ[name] = value
    return chosen


def prepare_database(
    url: str, *, redis_url: str | None = None, static: bool = False, dev_ca: bool = False
) -> None:
    """Drop and recreate the bench's database, set Django up on it and migrate; empty the
    bench's Redis database, collect the static files and make the development CA if asked."""
    from bench import seed

    seed.recreate_database(url)

    import django
    from django.core.management import call_command

    django.setup()
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    call_command("migrate", interactive=False, verbosity=0)
    if static:
        call_command("collectstatic", interactive=False, verbosity=0)
    if dev_ca:
        call_command("make_dev_ca", verbosity=0)
