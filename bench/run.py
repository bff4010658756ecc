"""`make bench`: time Net Desk's list pages against a floor page, served the production way.

The floor (bench.views) is the cheapest real page: a signed-in contractor, the whole middleware
stack and base.html, one query and a 25-row table. Every page is reported as a multiple of it,
and each admin list also as a multiple of the stock Django changelist of the same rows
(bench.admin). Both reference pages exist only under bench.settings, which the bench serves.

One run: fresh PostgreSQL database `netdesk_bench` (drop, migrate, seed a 10k-application
contractor, 300k applications across the branches and the obligee registry) -> SQL query counts
per page on a small and a large data set, and where one request's time goes (SQL vs Python,
EXPLAIN ANALYZE of the slowest query where asked) (in-process, Django test client) -> gunicorn
(2 sync workers, DEBUG=0, bench.settings) -> wrk per page after a warm-up -> table on stdout and
bench/out/results.json. Exit status 0 whether or not the goals are met; non-zero only when the
bench itself could not measure something.

Environment: DATABASE_URL (server to use; its database name is used only if it contains
"bench", otherwise `netdesk_bench` on that server, so a working database is never dropped),
BENCH_SECONDS (wrk duration per page, default 10), BENCH_WARMUP (default 2), BENCH_ROUNDS
(in-process floor/page pairs, default 30).
"""

import json
import os
import re
import signal
import sys
import time
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, sys.path[0] is bench/ (whose module names could shadow others): use the root.
sys.path[0] = str(ROOT)

from bench import environment, seed, server, wrk  # noqa: E402
from bench.environment import OUT, SERVED  # noqa: E402
from bench.pages import PAGES, Page, Probe  # noqa: E402

WRK_THREADS, WRK_CONNECTIONS = 2, 8
GUNICORN_WORKERS = 2
TIMED_REQUESTS = 9  # in-process timing: the median of these (after the counted request)
_SAVEPOINT_SQL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@dataclass
class Row:
    page: str
    path: str
    p50_ms: float | None = None
    p99_ms: float | None = None
    rps: float | None = None
    goal: float | None = None  # the most floor pages it may cost; None: not judged by it
    peer: str | None = None  # the page it is measured against
    peer_goal: float | None = None  # the most peer pages it may cost; None: not judged by it
    floor_p50_ms: float | None = None  # the floor's p50, timed right before this page
    ratio: float | None = None  # p50 / the floor's p50
    ratio_peer: float | None = None  # p50 / the peer's p50
    # In-process: the median of paired page/floor ratios (measure_paired).
    inprocess_ratio: float | None = None
    queries_small: int | None = None
    queries_large: int | None = None
    passed: bool | None = None  # None: a reference page, not judged
    error: str | None = None
    # One request of the large probe in-process (median of TIMED_REQUESTS): wall clock, of which
    # SQL (the queries CaptureQueriesContext captured, each timed around the driver's execute())
    # and the rest, Python (middleware, ORM, admin, templates).
    inprocess_ms: float | None = None
    sql_ms: float | None = None
    python_ms: float | None = None
    slowest_sql_ms: float | None = None
    slowest_sql: str | None = None
    explain: list[str] | None = None


@dataclass
class Timing:
    wall_ms: float
    sql_ms: float
    slowest_ms: float
    slowest_sql: str


@dataclass
class ProbeResult:
    queries: int
    timing: Timing | None = None
    explain: list[str] | None = None


def env_seconds(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def url_path(path: str) -> str:
    return quote(path, safe="/?=&%")


def sign_in(client, email: str) -> None:
    """Sign `email` in on a test client, as the login views would. Staff also get the session
    verified by their OTP device, as django_otp.login() does after the code: the admin
    (OTPAdminSite) redirects unverified staff to its sign-in page."""
    from django.contrib.auth import get_user_model
    from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user

    user = get_user_model().objects.get(email=email)
    client.force_login(user)
    if user.is_staff:
        device = next(devices_for_user(user, confirmed=True), None)
        if device is None:
            raise RuntimeError(f"staff user {email} has no confirmed OTP device")
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def check_response(path: str, status: int, body: bytes, expect: str | None) -> None:
    if status != 200:  # e.g. a 302 to a login page, which wrk would count as a success
        raise RuntimeError(f"HTTP {status} for {path}")
    if expect and expect.encode() not in body:
        raise RuntimeError(f"{path}: {expect!r} not in the page")


def run_probe(probe: Probe, expect: str | None = None, timed: bool = False, explain: bool = False):
    """Queries of one request, after a first request has warmed per-process caches; with
    `timed`, also where the time of a request goes (median of TIMED_REQUESTS)."""
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    timings = []
    with transaction.atomic():  # rolled back: probes leave the data as wrk will see it
        if probe.prepare:
            probe.prepare()
        client = Client()
        if probe.user:
            sign_in(client, probe.user)
        for n in range(2 + (TIMED_REQUESTS if timed else 0)):  # the second one is counted
            timer = QueryTimer()
            with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
                started = time.perf_counter()
                response = client.get(url_path(probe.path))
                wall_ms = (time.perf_counter() - started) * 1000
            check_response(probe.path, response.status_code, response.content, expect)
            if n == 1:
                counted = captured.captured_queries
            elif n > 1:
                timings.append(timing(wall_ms, captured.captured_queries, timer.seconds))
        timings.sort(key=lambda t: t.wall_ms)
        median = timings[len(timings) // 2] if timings else None
        plan = explain_analyze(median.slowest_sql) if median and explain else None
        transaction.set_rollback(True)
    # The probe's own transaction turns any atomic block in the view into savepoints: not counted.
    queries = sum(1 for q in counted if not q["sql"].startswith(_SAVEPOINT_SQL))
    return ProbeResult(queries, median, plan)


class QueryTimer:
    """An execute wrapper timing each query to the microsecond: CaptureQueriesContext's own
    "time" is rounded to the millisecond, too coarse for pages of several 1-ms queries."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds.append(time.perf_counter() - started)


def timing(wall_ms: float, queries: list[dict], seconds: list[float]) -> Timing:
    if len(seconds) != len(queries):  # one wrapper call per captured query
        raise RuntimeError(f"{len(queries)} queries captured, {len(seconds)} timed")
    slowest = max(range(len(queries)), key=seconds.__getitem__)
    return Timing(wall_ms, sum(seconds) * 1000, seconds[slowest] * 1000, queries[slowest]["sql"])


def explain_analyze(sql: str) -> list[str]:
    """The plan of a query as Django sent it (psycopg2 interpolates client-side: `sql` is the
    exact text). Only SELECTs: EXPLAIN ANALYZE runs the statement."""
    from django.db import connection

    if not sql.lstrip().upper().startswith("SELECT"):
        return [f"(not a SELECT, not explained: {sql[:80]})"]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return [line for (line,) in cursor.fetchall()]


def session_cookie(email: str) -> str:
    """A signed-in session stored in the database, as the login view would leave it."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    sign_in(client, email)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def time_page(
    port: int, page: Page, cookies: dict[str, str], seconds: int | None = None
) -> wrk.WrkResult:
    headers = {"Cookie": cookies[page.user]} if page.user else {}
    path = url_path(page.path)
    status, body = server.get(port, path, headers)
    check_response(page.path, status, body, page.expect)  # wrk would count a 302 as a success
    url = f"http://{server.HOST}:{port}{path}"
    wrk.run(url, env_seconds("BENCH_WARMUP", 2), headers, WRK_THREADS, WRK_CONNECTIONS)
    seconds = seconds or env_seconds("BENCH_SECONDS", 10)
    result = wrk.run(url, seconds, headers, WRK_THREADS, WRK_CONNECTIONS)
    if result.bad_responses:
        raise RuntimeError(f"{result.bad_responses} responses outside 2xx/3xx")
    if result.timeouts:  # left out of wrk's latency figures: they would look better than they are
        raise RuntimeError(f"{result.timeouts} requests timed out")
    return result


def measure_queries(rows: dict[str, Row]) -> None:
    for page in PAGES:
        row = rows[page.name]
        try:
            large = run_probe(page.large, page.expect, timed=True, explain=page.explain)
            row.queries_large = large.queries
            row.queries_small = (
                run_probe(page.small, page.expect).queries if page.small else large.queries
            )
        except Exception as exc:
            row.error = f"queries: {type(exc).__name__}: {exc}"
            continue
        if large.timing:
            row.inprocess_ms = large.timing.wall_ms
            row.sql_ms = large.timing.sql_ms
            row.python_ms = large.timing.wall_ms - large.timing.sql_ms
            row.slowest_sql_ms = large.timing.slowest_ms
            row.slowest_sql = large.timing.slowest_sql
        row.explain = large.explain


def measure_paired(rows: dict[str, Row]) -> None:
    """In-process ratio to the floor, robust to a shared machine's changing load: each round
    times one floor request and then one request of every page; a page's ratio is the median of
    its rounds' page/floor ratios."""
    from django.test import Client

    floor = floor_page()
    clients = {}
    for page in PAGES:
        client = Client()
        if page.user:
            sign_in(client, page.user)
        client.get(url_path(page.path))  # warm per-process caches
        clients[page.name] = client
    ratios: dict[str, list[float]] = {page.name: [] for page in PAGES}
    for _round in range(env_seconds("BENCH_ROUNDS", 30)):
        floor_ms = _timed_get(clients[floor.name], floor.path)
        for page in PAGES:
            ratios[page.name].append(_timed_get(clients[page.name], page.path) / floor_ms)
    for page in PAGES:
        values = sorted(ratios[page.name])
        rows[page.name].inprocess_ratio = values[len(values) // 2]


def _timed_get(client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(url_path(path))
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code} for {path}")
    return elapsed


def measure_latency(rows: dict[str, Row]) -> None:
    """wrk per page. The machine may be shared and its load changes during a run, so the floor
    is timed again right before each judged page, and that page is compared with it."""
    from django.db import connections

    cookies = {page.user: session_cookie(page.user) for page in PAGES if page.user}
    connections.close_all()  # leave the server's connections to gunicorn
    log_path = OUT / "gunicorn.log"
    floor = floor_page()
    floor_seconds = max(3, env_seconds("BENCH_SECONDS", 10) // 2)
    with server.gunicorn(ROOT, dict(os.environ), log_path, GUNICORN_WORKERS) as port:
        for page in PAGES:
            row = rows[page.name]
            try:
                if page.goal is not None:
                    log(f"wrk {floor.path} (floor, again)")
                    row.floor_p50_ms = time_page(port, floor, cookies, floor_seconds).p50_ms
                log(f"wrk {page.path}")
                result = time_page(port, page, cookies)
            except Exception as exc:
                row.error = row.error or f"wrk: {type(exc).__name__}: {exc}"
                continue
            row.p50_ms, row.p99_ms, row.rps = result.p50_ms, result.p99_ms, result.rps


def judge(rows: list[Row]) -> None:
    by_name = {row.page: row for row in rows}
    floor = by_name[floor_page().name]
    floor_p50 = floor.p50_ms
    for row in rows:
        # The floor timed nearest before this page: its own, or the page's before it (a stock
        # changelist follows its admin list).
        floor_p50 = row.floor_p50_ms or floor_p50
        if floor_p50 and row.p50_ms is not None:
            row.ratio = row.p50_ms / floor_p50
        peer = by_name.get(row.peer) if row.peer else None
        if peer and peer.p50_ms and row.p50_ms is not None:
            row.ratio_peer = row.p50_ms / peer.p50_ms
        if row.goal is None and row.peer_goal is None:
            continue  # a reference page
        # Constant: the large data set needs no more queries than the small one (it may need
        # fewer: a count already known to be past the limit is not made).
        constant = (
            row.queries_small is not None
            and row.queries_large is not None
            and row.queries_large <= row.queries_small
        )
        fast = row.goal is None or (row.ratio is not None and row.ratio <= row.goal)
        as_fast_as_peer = row.peer_goal is None or (
            row.ratio_peer is not None and row.ratio_peer <= row.peer_goal
        )
        row.passed = row.error is None and constant and fast and as_fast_as_peer


def floor_page() -> Page:
    return next(page for page in PAGES if page.floor)


def fmt(value: float | int | None, spec: str) -> str:
    """`spec` applied, or "-" right-aligned in the same width."""
    if value is None:
        width = "".join(char for char in spec.split(".")[0] if char.isdigit())
        return "-".rjust(int(width or 0))
    return format(value, spec)


def pad(text: str, width: int) -> str:
    """Left-align in `width` terminal columns: CJK characters take two."""
    columns = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return text + " " * max(0, width - columns)


def print_table(rows: list[Row]) -> None:
    header = f"{'page':<34}{'p50 ms':>8}{'p99 ms':>8}{'req/s':>8}{'×floor':>8}{'×stock':>8}"
    print(f"\n{header}  {'queries s/l':<12}{'goal':<18}")
    for row in rows:
        queries = f"{fmt(row.queries_small, 'd')} / {fmt(row.queries_large, 'd')}"
        goals = [f"≤{row.goal:g}×floor"] if row.goal is not None else []
        goals += [f"≤{row.peer_goal:g}×stock"] if row.peer_goal is not None else []
        goal = ", ".join(goals) or "-"
        verdict = {None: "", True: "PASS", False: "FAIL"}[row.passed]
        print(
            f"{pad(row.page, 34)}{fmt(row.p50_ms, '8.2f')}{fmt(row.p99_ms, '8.2f')}"
            f"{fmt(row.rps, '8.0f')}{fmt(row.ratio, '8.2f')}{fmt(row.ratio_peer, '8.2f')}"
            f"  {queries:<12}{goal:<18}{verdict}" + (f"  ({row.error})" if row.error else "")
        )
    print(
        "×floor: p50 / the floor page's p50 (timed again just before); ×stock: p50 / the stock changelist's of the same rows;"
        " every goal also wants no more queries on the large data set than on the small one"
    )


def print_profile(rows: list[Row]) -> None:
    """Where one request's time goes, in-process (test client, no HTTP, no concurrency)."""
    print(f"\nin-process, one request (median of {TIMED_REQUESTS}; large data set;")
    print(" ×floor: the median of rounds that time the floor and then the page):")
    header = f"{'page':<34}{'total ms':>9}{'×floor':>8}{'SQL ms':>8}{'Python ms':>10}"
    print(f"{header}{'slowest query ms':>18}")
    for row in rows:
        print(
            f"{pad(row.page, 34)}{fmt(row.inprocess_ms, '9.2f')}{fmt(row.inprocess_ratio, '8.2f')}"
            f"{fmt(row.sql_ms, '8.2f')}{fmt(row.python_ms, '10.2f')}{fmt(row.slowest_sql_ms, '18.2f')}"
        )
    for row in rows:
        if row.explain and row.slowest_sql:
            sql = re.sub(r"\s+", " ", row.slowest_sql)
            # The column list is long and says little: shown in full in results.json only.
            sql = re.sub(r"^SELECT (DISTINCT )?.*? FROM ", r"SELECT \1... FROM ", sql, count=1)
            print(f"\nslowest query of {row.page} ({row.slowest_sql_ms:.1f} ms):")
            print(f"  {sql[:1200]}{' ...' if len(sql) > 1200 else ''}")
            print("\n".join(f"  {line}" for line in row.explain))


_started = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - _started:6.1f}s] {message}", flush=True)


_load_at_start = os.getloadavg()


def main() -> int:
    # SIGTERM becomes SystemExit, so the finally blocks still stop gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    OUT.mkdir(parents=True, exist_ok=True)
    url = environment.database_url()
    environment.configure_environment(url, **SERVED)
    log(f"recreating {urlsplit(url).path.lstrip('/')}, migrate + collectstatic")
    environment.prepare_database(url, static=True)
    log("seeding")
    counts = seed.seed()
    log(f"seeded {counts}")
    rows = {
        page.name: Row(
            page.name, page.path, goal=page.goal, peer=page.peer, peer_goal=page.peer_goal
        )
        for page in PAGES
    }
    measure_queries(rows)
    log("in-process rounds")
    measure_paired(rows)
    measure_latency(rows)
    judge(list(rows.values()))
    print_table(list(rows.values()))
    print_profile(list(rows.values()))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\nload average at the end: {load} on {os.cpu_count()} CPUs (the bench alone adds ~2)")
    results = {
        "seconds": round(time.monotonic() - _started, 1),
        "cpus": os.cpu_count(),
        # Other work on the machine skews wrk's figures more than the paired in-process ones.
        "load_average": {"start": _load_at_start, "end": os.getloadavg()},
        "wrk": {
            "threads": WRK_THREADS,
            "connections": WRK_CONNECTIONS,
            "seconds": env_seconds("BENCH_SECONDS", 10),
        },
        "gunicorn": {"workers": GUNICORN_WORKERS},
        "seed": counts,
        "floor": floor_page().path,
        "goal": "each page's p50 at most `goal` times the floor's, or `peer_goal` times its"
        " peer's (an admin list: the stock changelist), with no more queries on the large data"
        " set than on the small one",
        "pages": [asdict(row) for row in rows.values()],
    }
    (OUT / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    log(f"wrote {OUT / 'results.json'}")
    # A missed goal is a result; a page that could not be measured is a bench failure.
    return 1 if any(row.error for row in rows.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
