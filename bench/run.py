"""`make bench`: time Net Desk's list pages against a one-query page, served the production way.

One run: fresh PostgreSQL database `netdesk_bench` (drop, migrate, seed 10k+ applications and
the obligee registry) -> SQL query counts per page on a small and a large data set (in-process,
Django test client) -> gunicorn (2 sync workers, DEBUG=0) -> wrk per page after a warm-up ->
table on stdout and bench/out/results.json. Exit status 0 whether or not the goals are met;
non-zero only when the bench itself could not measure something.

Environment: DATABASE_URL (server to use; its database name is used only if it contains
"bench", otherwise `netdesk_bench` on that server, so a working database is never dropped),
BENCH_SECONDS (wrk duration per page, default 10), BENCH_WARMUP (default 2).
"""

import json
import os
import secrets
import signal
import sys
import time
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, sys.path[0] is bench/ (whose module names could shadow others): use the root.
sys.path[0] = str(ROOT)

from bench import seed, server, wrk  # noqa: E402
from bench.pages import PAGES, Page, Probe  # noqa: E402

OUT = ROOT / "bench" / "out"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/netdesk_bench"
GOAL_RATIO = 3.0
WRK_THREADS, WRK_CONNECTIONS = 2, 8
GUNICORN_WORKERS = 2
_SAVEPOINT_SQL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@dataclass
class Row:
    page: str
    path: str
    p50_ms: float | None = None
    p99_ms: float | None = None
    rps: float | None = None
    ratio: float | None = None
    queries_small: int | None = None
    queries_large: int | None = None
    passed: bool = False
    error: str | None = None


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(f"bench needs PostgreSQL; DATABASE_URL={url!r}")
    if "bench" not in parts.path:
        parts = parts._replace(path="/netdesk_bench")
    return urlunsplit(parts)


def configure_environment(url: str) -> None:
    """Production settings for this process and gunicorn alike (sessions need the same key)."""
    values = {
        "DJANGO_SETTINGS_MODULE": "netdesk.settings",
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback: no TLS proxy in front
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "CONN_MAX_AGE": "600",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        # Used once settings read STATIC_ROOT from the environment; until then: var/static.
        "STATIC_ROOT": str(OUT / "static"),
        "LOG_LEVEL": "WARNING",
    }
    for name, value in values.items():
        os.environ.pop(f"{name}_FILE", None)  # settings prefer NAME_FILE over NAME
        os.environ[name] = value


def env_seconds(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def url_path(path: str) -> str:
    return quote(path, safe="/?=&%")


def count_queries(probe: Probe) -> int:
    """Queries of one request, after a first request has warmed per-process caches."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic():  # rolled back: probes leave the data as wrk will see it
        if probe.prepare:
            probe.prepare()
        client = Client()
        if probe.user:
            client.force_login(get_user_model().objects.get(email=probe.user))
        for _ in range(2):  # the second request is the one counted
            with CaptureQueriesContext(connection) as captured:
                status = client.get(url_path(probe.path)).status_code
            if status != 200:
                raise RuntimeError(f"HTTP {status} for {probe.path}")
        transaction.set_rollback(True)
    # The probe's own transaction turns any atomic block in the view into savepoints: not counted.
    return sum(1 for q in captured.captured_queries if not q["sql"].startswith(_SAVEPOINT_SQL))


def session_cookie(email: str) -> str:
    """A signed-in session stored in the database, as the login view would leave it."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(email=email))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def time_page(port: int, page: Page, cookies: dict[str, str]) -> wrk.WrkResult:
    headers = {"Cookie": cookies[page.user]} if page.user else {}
    path = url_path(page.path)
    status, _ = server.get(port, path, headers)
    if status != 200:  # wrk counts a 302 to the login page as a success: check first
        raise RuntimeError(f"HTTP {status}")
    url = f"http://{server.HOST}:{port}{path}"
    wrk.run(url, env_seconds("BENCH_WARMUP", 2), headers, WRK_THREADS, WRK_CONNECTIONS)
    result = wrk.run(url, env_seconds("BENCH_SECONDS", 10), headers, WRK_THREADS, WRK_CONNECTIONS)
    if result.bad_responses:
        raise RuntimeError(f"{result.bad_responses} responses outside 2xx/3xx")
    return result


def measure_queries(rows: dict[str, Row]) -> None:
    for page in PAGES:
        row = rows[page.name]
        try:
            row.queries_large = count_queries(page.large)
            row.queries_small = count_queries(page.small) if page.small else row.queries_large
        except Exception as exc:
            row.error = f"queries: {type(exc).__name__}: {exc}"


def measure_latency(rows: dict[str, Row]) -> None:
    from django.db import connections

    cookies = {page.user: session_cookie(page.user) for page in PAGES if page.user}
    connections.close_all()  # leave the server's connections to gunicorn
    log_path = OUT / "gunicorn.log"
    with server.gunicorn(ROOT, dict(os.environ), log_path, GUNICORN_WORKERS) as port:
        for page in PAGES:
            row = rows[page.name]
            log(f"wrk {page.path}")
            try:
                result = time_page(port, page, cookies)
            except Exception as exc:
                row.error = row.error or f"wrk: {type(exc).__name__}: {exc}"
                continue
            row.p50_ms, row.p99_ms, row.rps = result.p50_ms, result.p99_ms, result.rps


def judge(rows: list[Row]) -> None:
    base = next((row for row in rows if row.page == baseline_page().name), None)
    for row in rows:
        if base and base.p50_ms and row.p50_ms is not None:
            row.ratio = row.p50_ms / base.p50_ms
        constant = row.queries_small is not None and row.queries_small == row.queries_large
        fast = row.ratio is not None and row.ratio <= GOAL_RATIO
        row.passed = row.error is None and constant and fast


def baseline_page() -> Page:
    return next(page for page in PAGES if page.baseline)


def fmt(value: float | int | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def pad(text: str, width: int) -> str:
    """Left-align in `width` terminal columns: CJK characters take two."""
    columns = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return text + " " * max(0, width - columns)


def print_table(rows: list[Row]) -> None:
    header = f"{'page':<22}{'p50 ms':>8}{'p99 ms':>8}{'req/s':>9}{'ratio':>7}"
    print(f"\n{header}  {'queries small/large':<20}goal")
    for row in rows:
        queries = f"{fmt(row.queries_small, 'd')} / {fmt(row.queries_large, 'd')}"
        print(
            f"{pad(row.page, 22)}{fmt(row.p50_ms, '8.2f')}{fmt(row.p99_ms, '8.2f')}"
            f"{fmt(row.rps, '9.0f')}{fmt(row.ratio, '7.2f')}  {queries:<20}"
            f"{'PASS' if row.passed else 'FAIL'}" + (f"  ({row.error})" if row.error else "")
        )
    print(f"goal: ratio <= {GOAL_RATIO:g} and constant query counts")


_started = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - _started:6.1f}s] {message}", flush=True)


def main() -> int:
    # SIGTERM becomes SystemExit, so the finally blocks still stop gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    OUT.mkdir(parents=True, exist_ok=True)
    url = database_url()
    configure_environment(url)
    log(f"recreating {urlsplit(url).path.lstrip('/')}")
    seed.recreate_database(url)

    import django
    from django.core.management import call_command

    django.setup()
    log("migrate + collectstatic")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    log("seeding")
    counts = seed.seed()
    log(f"seeded {counts}")
    rows = {page.name: Row(page.name, page.path) for page in PAGES}
    measure_queries(rows)
    measure_latency(rows)
    judge(list(rows.values()))
    print_table(list(rows.values()))
    results = {
        "seconds": round(time.monotonic() - _started, 1),
        "cpus": os.cpu_count(),
        "wrk": {
            "threads": WRK_THREADS,
            "connections": WRK_CONNECTIONS,
            "seconds": env_seconds("BENCH_SECONDS", 10),
        },
        "gunicorn": {"workers": GUNICORN_WORKERS},
        "seed": counts,
        "goal": {"ratio_max": GOAL_RATIO, "constant_queries": True},
        "pages": [asdict(row) for row in rows.values()],
    }
    (OUT / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    log(f"wrote {OUT / 'results.json'}")
    # A missed goal is a result; a page that could not be measured is a bench failure.
    return 1 if any(row.error for row in rows.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
