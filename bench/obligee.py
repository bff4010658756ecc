"""`make bench`, obligee part: the obligee's pages with 100,000 certificates in the database.

1. 認証キーの登録 (POST /obligee/: number and key typed by an obligee user) with 100,000 issued
   electronic certificates in the database: each timed request registers a different certificate
   not received yet, so each inserts a Receipt (answered by the redirect back to the list); and a
   failing attempt (a well-formed key of no certificate: the neutral refusal and the list
   re-rendered). p50 next to the floor page's p50; goal ≤ 2× the floor.
2. POST /verify/ with a certificate PDF (multipart, as the browser sends it) and POST
   /api/verify/ (the PDF as the body). First check: a different certificate each request, so
   pyHanko really checks the signature and timestamp; again: a file just checked, answered from
   the cached check. The certificate is the real size issuance makes (~70 KB, reported): no
   padding needed to reach the ~50 KB of a typical certificate. Goal: p50 ≤ 30 ms for the page's
   first check.
3. The received list /obligee/ of an obligee with 10,000 received certificates, as bench/run.py
   times its pages: SQL query counts on a small (5 received) and the large data set, in-process
   paired ratio to the floor, then wrk (floor timed again right before). Goal ≤ 1.5× the floor
   (wrk's p50s) and no more queries on the large data set than on the small. Also timed one
   request at a time as the POSTs are (below), which the load of a shared machine moves less.

How the POSTs are timed: sequential single requests over HTTP against the same gunicorn (2 sync
workers, DEBUG=0, bench.settings), each round one floor GET then one request, alternating, so
both see the same machine load; the figures are the medians over the rounds, and the floor
compared is the one of those same rounds (wrk would need a Lua script to send a different
certificate per request, and its concurrency would make the floor another measurement).

Rate limits: the registration failures and the verifications all come from one user and one IP
address, so KEY_REGISTER_LIMIT_PER_USER, KEY_REGISTER_LIMIT_PER_IP and VERIFY_LIMIT_PER_IP are
raised in this bench's environment (the settings read them from there): no request is refused
for the limit, and the counting itself still runs as in production.

The certificates: BENCH_OBLIGEE_ROUNDS × 2 + 4 are real, made by guarantees.issuance (render,
PAdES B-LTA signature, key) for approved guarantees of 渋川市 (bench/issuance.py's data); these are
the ones registered and verified. The 100,000 others are bulk rows (INSERT ... SELECT, keys
COPY'd in) with distinct keys (keys.key_digest of keys.new_key(), encrypted as issuance does),
verification tokens, SHA-256 values and snapshots built from their own application and
guarantee, all sharing one real PDF file; 10,000 of them are received by 渋川市, half the rest by
their own obligees.

Its own PostgreSQL database `netdesk_bench_obl` (dropped and made again, on the server of
DATABASE_URL) and Redis database (BENCH_OBLIGEE_REDIS_URL, default redis://127.0.0.1:6379/12,
flushed): Redis is the cache as in production, so the signature-check cache and the sessions
are shared by the gunicorn workers. PKI and media under bench/out/obligee/. Writes
bench/out/obligee.json. Exit status 0 whether or not the goals are met; non-zero only when
something could not be measured.

Environment: BENCH_OBLIGEE_ROUNDS (timed requests of each kind, default 40),
BENCH_OBLIGEE_CERTIFICATES (bulk certificates, default 100000), BENCH_OBLIGEE_RECEIVED (received
by 渋川市, default 10000), BENCH_SECONDS, BENCH_WARMUP and BENCH_ROUNDS as for bench/run.py.
"""

import hashlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from bench import environment, run, seed, server  # noqa: E402
from bench import issuance as issuance_bench  # noqa: E402
from bench.environment import OUT, SERVED  # noqa: E402
from bench.pages import FLOOR_PATH, PORTAL_GOAL, Page, Probe  # noqa: E402

WORK = OUT / "obligee"
DATABASE = "netdesk_bench_obl"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
REGISTER_GOAL, VERIFY_GOAL_MS, LIST_GOAL = 2.0, 30.0, PORTAL_GOAL
OBLIGEE_USER = "obligee@example.jp"  # 渋川市's user: registers, and receives the 10,000
FLOOR_USER = seed.BIG_USER  # the floor's contractor, with 10,000 applications as in bench/run.py
FLOOR_APPLICATIONS_EVERY = 5  # one bulk application in five is the floor contractor's
BULK_CONTRACTORS = 300
SMALL_RECEIVED = 5  # the received list's small data set
COLD_WARMUP = 2  # first checks per endpoint not timed: each gunicorn worker's first
FAILING_WARMUP = 4
OBLIGEE_LIST = "/obligee/"
HIGH_LIMIT = "1000000"
GENUINE_TEXT = "当社が発行した保証証書です"  # Verdict.GENUINE's label, on the page


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def configure_environment(url: str, redis_url: str) -> None:
    """bench/run.py's production settings, plus Redis, PKI, media and the raised limits."""
    environment.configure_environment(
        url,
        **SERVED,
        REDIS_URL=redis_url,
        # Approvals and issuance queue e-mails: run in-process, nothing is left in the queue.
        CELERY_TASK_ALWAYS_EAGER="1",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PKI_DIR=str(WORK / "pki"),
        MEDIA_ROOT=str(WORK / "media"),
        KEY_REGISTER_LIMIT_PER_USER=HIGH_LIMIT,
        KEY_REGISTER_LIMIT_PER_IP=HIGH_LIMIT,
        VERIFY_LIMIT_PER_IP=HIGH_LIMIT,
    )


# --- Seeding --------------------------------------------------------------------------------------


@dataclass
class Pool:
    """The real certificates: (guarantee number, key as printed, PDF bytes) each."""

    certificates: list[tuple[str, str, bytes]]
    obligee_id: int


def issue_pool(count: int) -> Pool:
    """`count` certificates issued by guarantees.issuance for 渋川市 (bench/issuance.py's data)."""
    from django.utils import timezone

    from guarantees import issuance, keys
    from guarantees.models import Guarantee

    ids, _staff = issuance_bench.make_guarantees(count)
    certificates = []
    for guarantee_id in ids:
        Guarantee.objects.filter(pk=guarantee_id).update(issue_requested_at=timezone.now())
        certificate = issuance.certificate_issue(guarantee_id)
        with certificate.pdf.open("rb") as file:
            pdf = file.read()
        key = keys.display_key(keys.decrypt_key(certificate.key_encrypted))
        certificates.append((certificate.guarantee.number, key, pdf))
    obligee_id = Guarantee.objects.get(pk=ids[0]).application.obligee_id
    return Pool(certificates, obligee_id)


def seed_bulk(pool: Pool, count: int, received: int) -> dict[str, int]:
    """The bulk certificates, the floor's contractor, the obligee users and the receipts."""
    from django.db import connection

    from accounts.models import Branch, Contractor, User
    from applications.models import Application
    from guarantees.models import Certificate
    from obligees.models import Obligee

    branches = [Branch.objects.create(code=code, name=name) for code, name in seed.BRANCHES]
    floor_contractor = Contractor.objects.create(name="ベンチ建設 株式会社", kana="ベンチケンセツ")
    floor_user = User.objects.create(
        email=FLOOR_USER, password="!", full_name="ベンチ 太郎", contractor=floor_contractor
    )
    contractors, users = seed._bulk_contractors(BULK_CONTRACTORS)
    obligees = Obligee.objects.bulk_create(seed._synthetic_obligees(), batch_size=seed.BATCH)
    User.objects.create(
        email=OBLIGEE_USER, password="!", full_name="渋川市 受領担当", obligee_id=pool.obligee_id
    )
    # One user per obligee: who received its certificates.
    User.objects.bulk_create(
        (
            User(email=f"o{n:04d}@obligee.example.jp", password="!", obligee=obligee)
            for n, obligee in enumerate(obligees)
        ),
        batch_size=seed.BATCH,
    )
    last_certificate = Certificate.objects.order_by("-pk").values_list("pk", flat=True).first()
    applications = count // 2  # an advance and a contract guarantee each
    every = max(1, applications // max(1, received // 2))
    source = _APPLICATIONS_SOURCE.format(floor_every=FLOOR_APPLICATIONS_EVERY)
    seed._insert_select(
        Application,
        _APPLICATION_VALUES,
        source,
        [
            [b.pk for b in branches],
            contractors,
            users,
            [o.pk for o in obligees],
            seed._RIVERS,
            floor_contractor.pk,
            floor_user.pk,
            pool.obligee_id,
            every,
            applications,
            seed.BULK_SPAN / max(applications, 1),
        ],
    )
    guarantees = _bulk_guarantees()
    certificates = _bulk_certificates(guarantees)
    receipts = _bulk_receipts(last_certificate, pool.obligee_id)
    _check_snapshot_shape(last_certificate)
    with connection.cursor() as cursor:
        # As bench/run.py: fresh statistics and a visibility map, as autovacuum keeps them.
        cursor.execute("VACUUM ANALYZE")
    return {
        "real_certificates": len(pool.certificates),
        "bulk_certificates": certificates,
        "received_by_the_obligee": _received_count(pool.obligee_id),
        "receipts": receipts,
        "floor_applications": Application.objects.filter(contractor=floor_contractor).count(),
    }


def _received_count(obligee_id: int) -> int:
    from guarantees.models import Receipt

    return Receipt.objects.filter(obligee_id=obligee_id).count()


# Every application completed, with both kinds issued electronically; the floor contractor owns
# one in FLOOR_APPLICATIONS_EVERY, 渋川市 is the obligee of one in `every` (its 10,000 received).
_APPLICATIONS_SOURCE = """(
    SELECT g, p.branches[1 + mod(g, p.nb)] AS branch_id,
        CASE WHEN mod(g, {floor_every}) = 0 THEN p.floor_contractor
            ELSE p.contractors[1 + mod(g * 131, p.nc)] END AS contractor_id,
        CASE WHEN mod(g, {floor_every}) = 0 THEN p.floor_user
            ELSE p.users[1 + mod(g * 131, p.nc)] END AS user_id,
        CASE WHEN mod(g - 1, p.every) = 0 THEN p.obligee
            ELSE p.obligees[1 + mod(g * 37, p.nobl)] END AS obligee_id,
        now() - interval '3 days' - (p.n - g) * p.step AS t,
        mod(g * 13, 6) AS works,
        p.rivers[1 + mod(g / 7, cardinality(p.rivers))] AS river
    FROM (
        SELECT %s::bigint[] AS branches, %s::bigint[] AS contractors, %s::bigint[] AS users,
            %s::bigint[] AS obligees, %s::text[] AS rivers, %s::bigint AS floor_contractor,
            %s::bigint AS floor_user, %s::bigint AS obligee, %s::bigint AS every,
            %s::bigint AS n, %s::interval AS step
    ) AS p0
    CROSS JOIN LATERAL (
        SELECT p0.*, cardinality(p0.branches) AS nb, cardinality(p0.contractors) AS nc,
            cardinality(p0.obligees) AS nobl
    ) AS p
    CROSS JOIN generate_series(1::bigint, p.n) AS g
) AS s"""
_APPLICATION_VALUES = {
    **seed._BULK_APPLICATION_VALUES,
    "number": "'OB-' || lpad(s.g::text, 8, '0')",
    "status": "'completed'",
    "sent_by_id": "s.user_id",
    "contract_type": "'works'",
    "updated_at": "s.t + interval '2 days' + interval '1 hour'",
    "sent_at": "s.t",
}
_GUARANTEES_SOURCE = """(
    SELECT a.id, a.contract_amount, a.sent_at, b.code, k.kind, k.n,
        (%s::text[])[1 + mod(a.id, 20)] AS status
    FROM {applications} AS a
    JOIN {branches} AS b ON b.id = a.branch_id
    CROSS JOIN (VALUES ('advance', 0), ('contract', 1)) AS k (kind, n)
    WHERE a.number LIKE 'OB-%%'
) AS s"""
# Mostly in force; one in twenty cancelled, one in twenty recorded as expired (others expire by
# the period their certificate states).
_GUARANTEE_STATUSES = ["issued"] * 18 + ["cancelled", "expired"]
_GUARANTEE_VALUES = {
    "application_id": "s.id",
    "kind": "s.kind",
    "status": "s.status",
    "number": "s.code || '-' || to_char(s.sent_at, 'YYYY') || '-'"
    " || lpad((2 * s.id + s.n)::text, 7, '0')",  # seven digits: never a real counter's number
    "certificate_format": "'electronic'",
    "amount": "s.contract_amount * CASE s.kind WHEN 'advance' THEN 40 ELSE 10 END / 100",
    "deposit_bank": "CASE s.kind WHEN 'advance' THEN '〇〇銀行 ××支店' ELSE '' END",
    "redeposit": "CASE s.kind WHEN 'advance' THEN 'not_used' ELSE '' END",
    "approved_at": "s.sent_at + interval '2 days'",
    "issue_requested_at": "s.sent_at + interval '2 days'",
}


def _bulk_guarantees() -> int:
    from accounts.models import Branch
    from applications.models import Application
    from guarantees.models import Guarantee

    source = _GUARANTEES_SOURCE.format(
        applications=seed._table(Application), branches=seed._table(Branch)
    )
    return seed._insert_select(Guarantee, _GUARANTEE_VALUES, source, [_GUARANTEE_STATUSES])


# One row per bulk guarantee, with what its certificate states (guarantees.snapshot's shape,
# checked against a real certificate's by _check_snapshot_shape) and its key from bench_keys.
_CERTIFICATES_SOURCE = """(
    SELECT g.id AS guarantee_id, g.number, g.kind, g.amount, g.deposit_bank,
        g.approved_at + interval '1 hour' AS issued_at,
        a.number AS application_number, a.works_name, a.works_place, a.contract_date,
        a.period_start, a.period_end, a.contract_amount,
        o.code AS obligee_code, o.name AS obligee_name, o.category AS obligee_category,
        c.name AS contractor_name, c.address AS contractor_address,
        c.representative AS contractor_representative,
        b.code AS branch_code, b.name AS branch_name, b.address AS branch_address,
        b.phone AS branch_phone, k.key_digest, k.key_encrypted,
        p.pdf, p.labels, p.titles, p.company, p.contract_type, p.time_zone, p.schema
    FROM (
        SELECT *, row_number() OVER (ORDER BY id) AS n FROM {guarantees}
        WHERE application_id IN (SELECT id FROM {applications} WHERE number LIKE 'OB-%%')
    ) AS g
    JOIN bench_keys AS k ON k.n = g.n
    JOIN {applications} AS a ON a.id = g.application_id
    JOIN {obligees} AS o ON o.id = a.obligee_id
    JOIN {contractors} AS c ON c.id = a.contractor_id
    JOIN {branches} AS b ON b.id = a.branch_id
    CROSS JOIN (
        SELECT %s::text AS pdf, %s::jsonb AS labels, %s::jsonb AS titles, %s::jsonb AS company,
            %s::text AS contract_type, %s::text AS time_zone, %s::int AS schema
    ) AS p
) AS s"""
_ISO = "coalesce(to_char({}, 'YYYY-MM-DD'), '')"
_SNAPSHOT_SQL = f"""jsonb_build_object(
    'schema', s.schema, 'number', s.number, 'kind', s.kind,
    'kind_label', s.labels ->> s.kind, 'title', s.titles ->> s.kind, 'version', 1,
    'certificate_format', 'electronic',
    'issued_on', to_char(s.issued_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD'),
    'application_number', s.application_number,
    'obligee', jsonb_build_object('code', s.obligee_code, 'name', s.obligee_name,
        'addressee', s.obligee_name || CASE s.obligee_category WHEN 'prefecture' THEN '知事'
            WHEN 'municipality' THEN '長' ELSE '' END),
    'contractor', jsonb_build_object('name', s.contractor_name,
        'address', s.contractor_address, 'representative', s.contractor_representative),
    'works', jsonb_build_object('name', s.works_name, 'place', s.works_place,
        'contract_type', s.contract_type, 'contract_date', {_ISO.format("s.contract_date")},
        'period_start', {_ISO.format("s.period_start")},
        'period_end', {_ISO.format("s.period_end")}, 'contract_amount', s.contract_amount),
    'amount', s.amount,
    'guarantee_period', jsonb_build_object('start', {_ISO.format("s.contract_date")},
        'end', {_ISO.format("s.period_end")}),
    'deposit_bank', s.deposit_bank,
    'branch', jsonb_build_object('code', s.branch_code, 'name', s.branch_name,
        'address', s.branch_address, 'phone', s.branch_phone),
    'company', s.company
)"""
_CERTIFICATE_VALUES = {
    "guarantee_id": "s.guarantee_id",
    "version": "1",
    "certificate_format": "'electronic'",
    "verify_token": "replace(gen_random_uuid()::text, '-', '')",  # 128 bits, as 32 hex digits
    "snapshot": _SNAPSHOT_SQL,
    "pdf": "s.pdf",
    # The hash recorded at issuance of a file of its own (the bulk rows share one file).
    "sha256": "encode(sha256(convert_to(s.number || '-v1', 'UTF8')), 'hex')",
    "key_digest": "s.key_digest",
    "key_encrypted": "s.key_encrypted",
    "issued_at": "s.issued_at",
    # The dates the snapshot states, as their columns (Certificate.stated_dates).
    "issued_on": "(s.issued_at AT TIME ZONE s.time_zone)::date",
    "period_end": "s.period_end",
}


def _bulk_certificates(count: int) -> int:
    """One certificate per bulk guarantee: keys made and encrypted here, COPY'd into a temporary
    table, the rest built in SQL."""
    from django.conf import settings
    from django.db import connection, transaction
    from psycopg2.extras import Json

    from accounts.models import Branch, Contractor
    from applications.models import Application
    from guarantees import keys
    from guarantees.models import Certificate, Guarantee
    from guarantees.snapshot import KIND_LABELS, SNAPSHOT_SCHEMA, TITLES
    from obligees.models import Obligee

    rows = io.StringIO()
    for n in range(1, count + 1):
        body = keys.new_key()
        rows.write(f"{n}\t{keys.key_digest(body)}\t{keys.encrypt_key(body)}\n")
    rows.seek(0)
    shared_pdf = Certificate.objects.order_by("pk").values_list("pdf", flat=True).first()
    # ON COMMIT DROP: the keys' table lives as long as this transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_keys (n bigint PRIMARY KEY, key_digest text,"
            " key_encrypted text) ON COMMIT DROP"
        )
        cursor.copy_expert("COPY bench_keys FROM STDIN", rows)
        source = _CERTIFICATES_SOURCE.format(
            guarantees=seed._table(Guarantee),
            applications=seed._table(Application),
            obligees=seed._table(Obligee),
            contractors=seed._table(Contractor),
            branches=seed._table(Branch),
        )
        inserted = seed._insert_select(
            Certificate,
            _CERTIFICATE_VALUES,
            source,
            [
                shared_pdf,
                Json({str(k): str(v) for k, v in KIND_LABELS.items()}),
                Json({str(k): str(v) for k, v in TITLES.items()}),
                Json(dict(settings.SURETY_COMPANY)),
                str(Application.ContractType.WORKS.label),
                settings.TIME_ZONE,
                SNAPSHOT_SCHEMA,
            ],
        )
    if inserted != count:
        raise RuntimeError(f"{inserted} bulk certificates for {count} guarantees")
    return inserted


_RECEIPTS_SOURCE = """(
    SELECT c.id, a.obligee_id, u.id AS user_id,
        c.issued_at + (1 + mod(c.id, 48)) * interval '1 hour' AS received_at
    FROM {certificates} AS c
    JOIN {guarantees} AS g ON g.id = c.guarantee_id
    JOIN {applications} AS a ON a.id = g.application_id
    JOIN {users} AS u ON u.obligee_id = a.obligee_id
    WHERE c.id > %s AND (a.obligee_id = %s OR mod(c.id, 2) = 0)
) AS s"""
_RECEIPT_VALUES = {
    "certificate_id": "s.id",
    "obligee_id": "s.obligee_id",
    "received_by_id": "s.user_id",
    "received_at": "s.received_at",
}


def _bulk_receipts(after_certificate: int, obligee_id: int) -> int:

    from accounts.models import User
    from applications.models import Application
    from guarantees.models import Certificate, Guarantee, Receipt

    source = _RECEIPTS_SOURCE.format(
        certificates=seed._table(Certificate),
        guarantees=seed._table(Guarantee),
        applications=seed._table(Application),
        users=seed._table(User),
    )
    return seed._insert_select(Receipt, _RECEIPT_VALUES, source, [after_certificate, obligee_id])


def _shape(value):
    """The keys of a snapshot, nested, without the values."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    return type(value).__name__


def _check_snapshot_shape(last_real: int) -> None:
    """A bulk snapshot has the keys and value types of a real one: a field added to
    guarantees.snapshot later fails here, not as a wrong figure."""
    from guarantees.models import Certificate

    real = Certificate.objects.get(pk=last_real).snapshot
    bulk = Certificate.objects.filter(pk__gt=last_real).order_by("pk").first().snapshot
    if _shape(real) != _shape(bulk):
        raise RuntimeError(f"bulk snapshot {_shape(bulk)} is not shaped as {_shape(real)}")


def keep_received(count: int) -> None:
    """Shrink the obligee's received list to `count`, for the query-count probe (rolled back)."""
    from accounts.models import User
    from guarantees.models import Receipt

    obligee_id = User.objects.get(email=OBLIGEE_USER).obligee_id
    receipts = Receipt.objects.filter(obligee_id=obligee_id)
    keep = list(receipts.order_by("-received_at", "-id").values_list("pk", flat=True)[:count])
    receipts.exclude(pk__in=keep).delete()


# --- HTTP ----------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: bytes
    cookies: dict[str, str]
    location: str
    ms: float


def send(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes | None = None
) -> Response:
    """One request on a new connection (gunicorn's sync workers close each), timed from the
    connect to the last byte of the answer, as wrk times its requests."""
    started = time.perf_counter()
    conn = HTTPConnection(server.HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read()
        ms = (time.perf_counter() - started) * 1000
        cookies = {}
        for header in response.msg.get_all("Set-Cookie") or []:
            cookies.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
        return Response(response.status, content, cookies, response.getheader("Location", ""), ms)
    finally:
        conn.close()


class Visitor:
    """A browser's cookies (the session and the CSRF token) for one signed-in user or nobody.
    Other cookies (messages) are not sent back: each request starts from the same state."""

    def __init__(self, port: int, session_cookie: str | None = None) -> None:
        self.port = port
        self.cookies = dict([session_cookie.split("=", 1)]) if session_cookie else {}
        self.csrf = ""

    def headers(self, **extra: str) -> dict[str, str]:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {**({"Cookie": cookie} if cookie else {}), **extra}

    def get(self, path: str) -> Response:
        response = send(self.port, "GET", path, self.headers())
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status} for GET {path}")
        return response

    def open_form(self, path: str) -> None:
        """GET the form's page: the CSRF cookie and the token its form carries."""
        response = self.get(path)
        if "csrftoken" in response.cookies:
            self.cookies["csrftoken"] = response.cookies["csrftoken"]
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.body)
        if match is None or "csrftoken" not in self.cookies:
            raise RuntimeError(f"no CSRF token on {path}")
        self.csrf = match[1].decode()

    def post_form(self, path: str, fields: dict[str, str]) -> Response:
        body = urlencode({"csrfmiddlewaretoken": self.csrf, **fields}).encode()
        headers = self.headers(**{"Content-Type": "application/x-www-form-urlencoded"})
        return send(self.port, "POST", path, headers, body)

    def post_file(self, path: str, name: str, content: bytes) -> Response:
        boundary = secrets.token_hex(16)
        body = b"".join(
            [
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"'
                f"\r\n\r\n{self.csrf}\r\n".encode(),
                f'--{boundary}\r\nContent-Disposition: form-data; name="file";'
                f' filename="{name}"\r\nContent-Type: application/pdf\r\n\r\n'.encode(),
                content,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        headers = self.headers(**{"Content-Type": f"multipart/form-data; boundary={boundary}"})
        return send(self.port, "POST", path, headers, body)

    def post_pdf(self, path: str, content: bytes) -> Response:
        return send(
            self.port, "POST", path, self.headers(**{"Content-Type": "application/pdf"}), content
        )


# --- Measuring ----------------------------------------------------------------------------------


@dataclass
class Figure:
    """One timed request kind: its p50 and the floor's p50 of the same rounds (paired)."""

    name: str
    request: str
    rounds: int = 0
    p50_ms: float | None = None
    p90_ms: float | None = None
    floor_p50_ms: float | None = None
    ratio: float | None = None  # p50 / the floor's p50
    ratio_median: float | None = None  # the median of the rounds' page/floor ratios
    goal: str | None = None
    passed: bool | None = None  # None: reported, not judged
    note: str = ""
    error: str | None = None


@dataclass
class ListFigure:
    """The received list, measured as bench/run.py measures its pages."""

    name: str
    path: str = OBLIGEE_LIST
    p50_ms: float | None = None
    p99_ms: float | None = None
    rps: float | None = None
    floor_p50_ms: float | None = None
    ratio: float | None = None
    inprocess_ratio: float | None = None
    inprocess_ms: float | None = None
    sql_ms: float | None = None
    slowest_sql_ms: float | None = None
    # The same request on the small data set: what the page costs whatever the volume.
    inprocess_small_ms: float | None = None
    queries_small: int | None = None
    queries_large: int | None = None
    goal: str = f"≤{LIST_GOAL:g}× the floor, no more queries large than small"
    passed: bool | None = None
    error: str | None = None
    explain: list[str] = field(default_factory=list)


def paired(figure: Figure, floor: Visitor, rounds, check) -> None:
    """Time rounds of (floor GET, page request); `rounds` yields the page requests' callables,
    `check` judges each answer (raises on one that is not what was asked)."""
    page_ms, floor_ms, ratios = [], [], []
    for request in rounds:
        before = floor.get(FLOOR_PATH).ms
        response = request()
        check(response)
        page_ms.append(response.ms)
        floor_ms.append(before)
        ratios.append(response.ms / before)
    figure.rounds = len(page_ms)
    figure.p50_ms = statistics.median(page_ms)
    figure.p90_ms = statistics.quantiles(page_ms, n=10)[-1] if len(page_ms) > 1 else page_ms[0]
    figure.floor_p50_ms = statistics.median(floor_ms)
    figure.ratio = figure.p50_ms / figure.floor_p50_ms
    figure.ratio_median = statistics.median(ratios)


def expect(status: int, text: bytes | None = None, location: str | None = None):
    def check(response: Response) -> None:
        if response.status != status:
            raise RuntimeError(f"HTTP {response.status}, expected {status}")
        if text is not None and text not in response.body:
            raise RuntimeError(f"{text!r} not in the answer")
        if location is not None and response.location != location:
            raise RuntimeError(f"redirected to {response.location!r}, expected {location!r}")

    return check


def expect_genuine_json(response: Response) -> None:
    expect(200)(response)
    answer = json.loads(response.body)
    if answer.get("result") != "genuine" or not answer.get("valid"):
        raise RuntimeError(f"API answered {answer.get('result')!r}, valid={answer.get('valid')}")


def _wrong_key() -> str:
    """A well-formed key (its check symbol right) that no certificate has."""
    from guarantees import keys

    return keys.display_key(keys.new_key())


def measure_registration(floor: Visitor, obligee: Visitor, pool: Pool, rounds: int):
    from guarantees import receiving
    from guarantees.models import Receipt

    obligee.open_form(OBLIGEE_LIST)
    number = pool.certificates[0][0]
    wrong = {"number": number, "key": _wrong_key()}
    # The neutral refusal (the language is Japanese whatever the request says).
    refused = expect(200, receiving.neutral_refusal().encode())
    for _ in range(FAILING_WARMUP):  # each worker's first POSTs, not timed
        refused(obligee.post_form(OBLIGEE_LIST, wrong))
    figures = []
    success = Figure(
        "認証キーの登録 (new receipt)",
        "POST /obligee/ number+key → 302",
        goal=f"≤{REGISTER_GOAL:g}× the floor",
    )
    before = Receipt.objects.count()
    targets = pool.certificates[:rounds]
    try:
        paired(
            success,
            floor,
            (
                lambda n=n, k=k: obligee.post_form(OBLIGEE_LIST, {"number": n, "key": k})
                for n, k, _pdf in targets
            ),
            expect(302, location=OBLIGEE_LIST),
        )
        inserted = Receipt.objects.count() - before
        if inserted != len(targets):
            raise RuntimeError(f"{inserted} receipts inserted by {len(targets)} registrations")
        success.passed = success.ratio <= REGISTER_GOAL
    except Exception as exc:
        success.error = f"{type(exc).__name__}: {exc}"
    figures.append(success)
    failing = Figure(
        "認証キーの登録 (wrong key)",
        "POST /obligee/ → 200, refusal + list",
        note="not judged",
    )
    try:
        paired(
            failing,
            floor,
            (lambda: obligee.post_form(OBLIGEE_LIST, wrong) for _ in range(rounds)),
            refused,
        )
    except Exception as exc:
        failing.error = f"{type(exc).__name__}: {exc}"
    figures.append(failing)
    return figures


def measure_verification(port: int, floor: Visitor, pool: Pool, rounds: int) -> list[Figure]:
    """Page and API, each a first check of certificates of its own, then the cached check."""
    visitor = Visitor(port)
    visitor.open_form("/verify/")
    genuine = expect(200, GENUINE_TEXT.encode())
    first = pool.certificates[: rounds + COLD_WARMUP]
    api_first = pool.certificates[rounds + COLD_WARMUP : 2 * (rounds + COLD_WARMUP)]
    size = len(first[0][2])
    sends = {
        "page": lambda pdf: visitor.post_file("/verify/", "certificate.pdf", pdf),
        "api": lambda pdf: visitor.post_pdf("/api/verify/", pdf),
    }
    checks = {"page": genuine, "api": expect_genuine_json}
    plan = [
        ("page", "POST /verify/ (first check)", first, f"≤{VERIFY_GOAL_MS:g} ms"),
        ("page", "POST /verify/ (again, cached)", [first[0]] * (rounds + COLD_WARMUP), None),
        ("api", "POST /api/verify/ (first check)", api_first, None),
        ("api", "POST /api/verify/ (again, cached)", [api_first[0]] * (rounds + COLD_WARMUP), None),
    ]
    figures = []
    for endpoint, name, certificates, goal in plan:
        figure = Figure(
            name,
            f"{'multipart' if endpoint == 'page' else 'application/pdf'}, {size / 1024:.0f} KB PDF",
            goal=goal,
            note="" if goal else "not judged",
        )
        send, check = sends[endpoint], checks[endpoint]
        try:
            for _n, _key, pdf in certificates[:COLD_WARMUP]:
                check(send(pdf))
            paired(
                figure,
                floor,
                (
                    lambda pdf=pdf, send=send: send(pdf)
                    for _n, _key, pdf in certificates[COLD_WARMUP:]
                ),
                check,
            )
            if goal:
                figure.passed = figure.p50_ms <= VERIFY_GOAL_MS
        except Exception as exc:
            figure.error = f"{type(exc).__name__}: {exc}"
        figures.append(figure)
    return figures


def measure_signature_check(pool: Pool, rounds: int) -> dict:
    """In-process, the part of a first check the cache saves: pyHanko's check of the signature and
    timestamps (guarantees.signing.check_signature, B-LTA judged as of its timestamps), CPU and
    wall clock. CPU time moves less with the machine's load than the HTTP figures do. The files
    are certificates as issued, as verify_pdf then tells check_signature (as_issued)."""
    from guarantees import signing

    cpu, wall = [], []
    for _number, _key, pdf in pool.certificates[: rounds + COLD_WARMUP]:
        started_cpu, started = time.process_time(), time.perf_counter()
        signing.check_signature(pdf, as_issued=True)
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return {
        "rounds": len(cpu) - COLD_WARMUP,
        "cpu_ms_median": statistics.median(cpu[COLD_WARMUP:]),
        "wall_ms_median": statistics.median(wall[COLD_WARMUP:]),
    }


def floor_page() -> Page:
    return Page("floor", FLOOR_PATH, user=FLOOR_USER, floor=True, expect="<table")


def list_page() -> Page:
    return Page(
        "received list",
        OBLIGEE_LIST,
        user=OBLIGEE_USER,
        small=Probe(OBLIGEE_LIST, user=OBLIGEE_USER, prepare=lambda: keep_received(SMALL_RECEIVED)),
        goal=LIST_GOAL,
        expect='data-testid="receipt-state"',  # a row of the list: not an empty one
        explain=True,
    )


def measure_list_inprocess(figure: ListFigure) -> None:
    """Query counts, where one request's time goes, and the paired ratio (bench/run.py's)."""
    from django.test import Client

    page = list_page()
    large = run.run_probe(page.large, page.expect, timed=True, explain=True)
    figure.queries_large = large.queries
    small = run.run_probe(page.small, page.expect, timed=True)
    figure.queries_small = small.queries
    figure.inprocess_small_ms = small.timing.wall_ms
    figure.inprocess_ms = large.timing.wall_ms
    figure.sql_ms = large.timing.sql_ms
    figure.slowest_sql_ms = large.timing.slowest_ms
    figure.explain = large.explain or []
    clients = {}
    for each in (floor_page(), page):
        client = Client()
        run.sign_in(client, each.user)
        run._timed_get(client, each.path)  # warm per-process caches
        clients[each.name] = client
    ratios = []
    for _round in range(run.env_seconds("BENCH_ROUNDS", 30)):
        floor_ms = run._timed_get(clients["floor"], FLOOR_PATH)
        ratios.append(run._timed_get(clients[page.name], page.path) / floor_ms)
    figure.inprocess_ratio = statistics.median(ratios)


def measure_list_sequential(floor: Visitor, obligee: Visitor, rounds: int) -> Figure:
    """The received list timed as the POSTs are: one request at a time, paired with the floor.
    Reported next to wrk's figure, which a shared machine's load moves more."""
    figure = Figure(
        "受領した保証証書 (GET, one at a time)", f"GET {OBLIGEE_LIST}", note="not judged"
    )
    try:
        paired(
            figure,
            floor,
            (lambda: obligee.get(OBLIGEE_LIST) for _ in range(rounds)),
            expect(200, list_page().expect.encode()),
        )
    except Exception as exc:
        figure.error = f"{type(exc).__name__}: {exc}"
    return figure


def measure_list_wrk(figure: ListFigure, port: int, cookies: dict[str, str]) -> None:
    floor_seconds = max(3, run.env_seconds("BENCH_SECONDS", 10) // 2)
    run.log(f"wrk {FLOOR_PATH} (floor)")
    figure.floor_p50_ms = run.time_page(port, floor_page(), cookies, floor_seconds).p50_ms
    run.log(f"wrk {OBLIGEE_LIST}")
    result = run.time_page(port, list_page(), cookies)
    figure.p50_ms, figure.p99_ms, figure.rps = result.p50_ms, result.p99_ms, result.rps
    figure.ratio = figure.p50_ms / figure.floor_p50_ms
    constant = (  # as in run.judge(): the large data set needs no more queries
        figure.queries_small is not None
        and figure.queries_large is not None
        and figure.queries_large <= figure.queries_small
    )
    figure.passed = figure.error is None and constant and figure.ratio <= LIST_GOAL


# --- Report --------------------------------------------------------------------------------------


def print_report(figures: list[Figure], listed: ListFigure, pdf_bytes: int) -> None:
    fmt, pad = run.fmt, run.pad
    verdict = {None: "", True: "PASS", False: "FAIL"}
    print(f"\n{'obligee side':<36}{'p50 ms':>8}{'p90 ms':>8}{'floor':>8}{'×floor':>8}  goal")
    for f in figures:
        print(
            f"{pad(f.name, 36)}{fmt(f.p50_ms, '8.2f')}{fmt(f.p90_ms, '8.2f')}"
            f"{fmt(f.floor_p50_ms, '8.2f')}{fmt(f.ratio, '8.2f')}  "
            f"{f.goal or '-':<14}{verdict[f.passed]}" + (f"  ({f.error})" if f.error else "")
        )
    print(
        f"(sequential HTTP, paired: each round one floor GET then the request; medians of"
        f" {figures[0].rounds if figures else 0} rounds; the PDF is {pdf_bytes:,} bytes)"
    )
    print(
        f"\n{'received list (wrk)':<36}{'p50 ms':>8}{'p99 ms':>8}{'req/s':>8}{'×floor':>8}"
        f"{'in-proc':>9}  {'queries s/l':<12}goal"
    )
    queries = f"{fmt(listed.queries_small, 'd')} / {fmt(listed.queries_large, 'd')}"
    print(
        f"{pad(listed.name, 36)}{fmt(listed.p50_ms, '8.2f')}{fmt(listed.p99_ms, '8.2f')}"
        f"{fmt(listed.rps, '8.0f')}{fmt(listed.ratio, '8.2f')}{fmt(listed.inprocess_ratio, '9.2f')}"
        f"  {queries:<12}≤{LIST_GOAL:g}× {verdict[listed.passed]}"
        + (f"  ({listed.error})" if listed.error else "")
    )
    python_ms = (
        listed.inprocess_ms - listed.sql_ms if listed.inprocess_ms and listed.sql_ms else None
    )
    print(
        f"(floor p50 under wrk just before: {fmt(listed.floor_p50_ms, '.2f')} ms; in-process one"
        f" request {fmt(listed.inprocess_ms, '.2f')} ms: SQL {fmt(listed.sql_ms, '.2f')} ms"
        f" (slowest query {fmt(listed.slowest_sql_ms, '.2f')} ms), Python {fmt(python_ms, '.2f')}"
        f" ms; {fmt(listed.inprocess_small_ms, '.2f')} ms with {SMALL_RECEIVED} received;"
        " in-proc: the median of paired floor/page rounds' ratios; plan in obligee.json)"
    )


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    url = environment.database_url(DATABASE)
    redis_url = os.environ.get("BENCH_OBLIGEE_REDIS_URL", DEFAULT_REDIS_URL)
    configure_environment(url, redis_url)
    run.log(f"recreating {DATABASE}, migrate + collectstatic + dev CA")
    environment.prepare_database(url, redis_url=redis_url, static=True, dev_ca=True)
    rounds = env_int("BENCH_OBLIGEE_ROUNDS", 40)
    count = env_int("BENCH_OBLIGEE_CERTIFICATES", 100_000)
    received = env_int("BENCH_OBLIGEE_RECEIVED", 10_000)
    pool_size = 2 * (rounds + COLD_WARMUP)
    run.log(f"issuing {pool_size} real certificates")
    pool = issue_pool(pool_size)
    run.log(f"seeding {count:,} bulk certificates")
    counts = seed_bulk(pool, count, received)
    seeded_at = time.monotonic()
    run.log(f"seeded {counts}")

    listed = ListFigure(name=f"受領した保証証書 ({counts['received_by_the_obligee']:,} received)")
    try:
        measure_list_inprocess(listed)
    except Exception as exc:
        listed.error = f"queries: {type(exc).__name__}: {exc}"
    try:
        signature = measure_signature_check(pool, rounds)
    except Exception as exc:
        signature = {"error": f"{type(exc).__name__}: {exc}"}
    run.log("in-process done")
    cookies = {user: run.session_cookie(user) for user in (FLOOR_USER, OBLIGEE_USER)}
    from django.db import connections

    connections.close_all()  # leave the server's connections to gunicorn
    figures: list[Figure] = []
    with server.gunicorn(ROOT, dict(os.environ), OUT / "gunicorn-obligee.log") as port:
        try:
            measure_list_wrk(listed, port, cookies)
        except Exception as exc:
            listed.error = listed.error or f"wrk: {type(exc).__name__}: {exc}"
        floor = Visitor(port, cookies[FLOOR_USER])
        obligee = Visitor(port, cookies[OBLIGEE_USER])
        figures.append(measure_list_sequential(floor, obligee, rounds))
        run.log(f"認証キーの登録: {rounds} rounds each")
        figures += measure_registration(floor, obligee, pool, rounds)
        run.log(f"verification: {rounds} rounds each")
        figures += measure_verification(port, floor, pool, rounds)
    pdf_bytes = len(pool.certificates[0][2])
    print_report(figures, listed, pdf_bytes)
    if "error" in signature:
        print(f"signature check in-process: {signature['error']}")
    else:
        print(
            f"signature check alone, in-process (check_signature, median of"
            f" {signature['rounds']}): {signature['cpu_ms_median']:.2f} ms CPU,"
            f" {signature['wall_ms_median']:.2f} ms wall clock"
        )
    results = {
        "seconds": round(time.monotonic() - run._started, 1),
        "seed_seconds": round(seeded_at - run._started, 1),
        "cpus": os.cpu_count(),
        "load_average_end": os.getloadavg(),
        "seed": counts,
        "pdf_bytes": pdf_bytes,
        "pdf_sha256": hashlib.sha256(pool.certificates[0][2]).hexdigest(),
        "floor": FLOOR_PATH,
        "timing": "POSTs: sequential HTTP requests against gunicorn (2 sync workers), each round"
        " a floor GET then the request; medians. List: wrk as bench/run.py.",
        "requests": [asdict(f) for f in figures],
        "received_list": asdict(listed),
        "signature_check_inprocess": signature,
    }
    (OUT / "obligee.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    run.log(f"wrote {OUT / 'obligee.json'}")
    failed = listed.error or "error" in signature or any(f.error for f in figures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
