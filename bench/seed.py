"""A fresh benchmark database, seeded with realistic volumes.

The contractors' applications (the dashboard's data) are made with bulk_create in batches; the
branch workload behind the admin lists (~300,000 applications) with `INSERT ... SELECT` over
generate_series, which PostgreSQL runs in seconds.

Model imports sit inside the functions: this module is imported before django.setup().
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

import dj_database_url
import psycopg2
from psycopg2 import sql

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accounts.models import Branch, User
    from applications.models import Application
    from guarantees.models import Guarantee
    from obligees.models import Obligee

BATCH = 2000
PASSWORD = "bench-password-not-secret"
BIG_USER = "bench@example.jp"  # 10,000 applications
SMALL_USER = "small@example.jp"  # 10 applications: the dashboard's small data set
BIG_COUNT = 10_000
SMALL_COUNT = 10
OTHER_CONTRACTORS = 3
OTHER_COUNT = 200
# The branch workload: TOTAL_APPLICATIONS in all, spread evenly over the five BRANCHES (~60,000
# each), plus SMALL_BRANCH_COUNT in a small office: the admin list's small data set.
BRANCHES = [
    ("01", "本店営業部"),
    ("13", "東京支店"),
    ("27", "大阪支店"),
    ("23", "名古屋支店"),
    ("40", "福岡支店"),
]
SMALL_BRANCH = ("47", "那覇出張所")
TOTAL_APPLICATIONS = 300_000
SMALL_BRANCH_COUNT = 10
BULK_CONTRACTORS = 1500
BULK_SPAN = datetime.timedelta(days=730)  # sent_at spread over two fiscal years
# Staff: a branch user (BRANCH_STAFF group) of the ~60,000-application branch, one of the small
# office, and head office (HEAD_OFFICE group: every branch). Each has a confirmed TOTP device.
STAFF_USER = "staff@example.jp"
STAFF_BRANCH = "13"
SMALL_STAFF_USER = "small-staff@example.jp"
HEAD_OFFICE_USER = "head-office@example.jp"
HEAD_OFFICE_BRANCH = "01"
OTP_DEVICE_NAME = "bench"
SEARCH = "護岸"  # a works-name fragment: one application in six (_WORKS_NAME_SQL)
ACCEPTING_TARGET = 450  # obligees accepting e-guarantees: ~9 pages of the public list
SYNTHETIC_OBLIGEES = 3000  # only when the bundled registry cannot be imported


def recreate_database(url: str) -> None:
    """Drop and create the database named in `url`, connected to the server's `postgres` db."""
    config = dj_database_url.parse(url)
    conn = psycopg2.connect(
        dbname="postgres",
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
    )
    conn.autocommit = True  # DROP/CREATE DATABASE cannot run inside a transaction
    try:
        with conn.cursor() as cursor:
            name = sql.Identifier(config["NAME"])
            # FORCE ends sessions left over from an earlier, interrupted run.
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
    finally:
        conn.close()


def seed() -> dict[str, int]:
    """Fill the migrated database; returns row counts for the report."""
    from django.db import connection

    from accounts.models import Branch

    branches = [Branch.objects.create(code=code, name=name) for code, name in BRANCHES]
    small_branch = Branch.objects.create(code=SMALL_BRANCH[0], name=SMALL_BRANCH[1])
    obligee_ids = _seed_obligees()
    numbers = _Numbers()
    counts = {"applications": 0, "guarantees": 0}
    plan = [(BIG_USER, BIG_COUNT), (SMALL_USER, SMALL_COUNT)] + [
        (f"other{n}@example.jp", OTHER_COUNT) for n in range(1, OTHER_CONTRACTORS + 1)
    ]
    password_hash = _password_hash()
    for email, count in plan:
        user = _contractor_user(email, password_hash)
        apps, guarantees = _seed_applications(user, count, obligee_ids, branches, numbers)
        counts["applications"] += apps
        counts["guarantees"] += guarantees
    _spread_timestamps()  # before the bulk rows, which get their own timestamps
    apps, guarantees = _seed_branch_workload(branches, small_branch, obligee_ids, numbers)
    counts["applications"] += apps
    counts["guarantees"] += guarantees
    _seed_staff({branch.code: branch for branch in [*branches, small_branch]})
    with connection.cursor() as cursor:
        # A served database is vacuumed by autovacuum: fresh statistics for the planner and a
        # visibility map, so that counts are index-only scans as they are in production.
        cursor.execute("VACUUM ANALYZE")
    counts["obligees"] = len(obligee_ids)
    counts["obligees_accepting"] = _accepting().count()
    counts["staff_branch_visible"] = _visible_to(STAFF_USER)
    counts["small_branch_visible"] = _visible_to(SMALL_STAFF_USER)
    return counts


def _visible_to(email: str) -> int:
    from accounts.models import User
    from applications.selectors import applications_for_staff

    return applications_for_staff(User.objects.get(email=email)).count()


def _accepting() -> QuerySet[Obligee]:
    from obligees.models import Obligee

    return Obligee.objects.exclude(e_advance_since=None, e_contract_since=None)


def _seed_obligees() -> list[int]:
    """The bundled registry (or synthetic rows), with a few hundred accepting e-guarantees."""
    from django.core.management import call_command, get_commands

    from obligees.models import Obligee

    if "import_obligees" in get_commands():
        call_command("import_obligees", verbosity=0)
    else:
        Obligee.objects.bulk_create(_synthetic_obligees(), batch_size=BATCH)
    ids = list(Obligee.objects.order_by("pk").values_list("pk", flat=True))
    missing = ACCEPTING_TARGET - _accepting().count()
    if missing > 0:
        _mark_accepting(ids[:: max(1, len(ids) // missing)][:missing])
    return ids


def _synthetic_obligees() -> Iterator[Obligee]:
    from obligees.models import PREFECTURES, Obligee

    suffixes = itertools.cycle(["市", "町", "村", "市", "町"])
    for n in range(SYNTHETIC_OBLIGEES):
        prefecture = n % len(PREFECTURES) + 1
        yield Obligee(
            code=f"{prefecture:02d}{n:04d}",
            name=f"{PREFECTURES[prefecture - 1]}第{n}{next(suffixes)}",
            kana=f"ベンチ{n}",
            category=Obligee.Category.MUNICIPALITY,
            prefecture=prefecture,
        )


def _mark_accepting(ids: list[int]) -> None:
    """Accepting since varied dates; some accept only one guarantee kind, as in reality."""
    from obligees.models import Obligee

    dates = [datetime.date(2019 + year, 4, 1) for year in range(7)]
    for offset, since in enumerate(dates):
        chunk = ids[offset :: len(dates)]
        both, advance_only, contract_only = chunk[0::3] + chunk[1::3], chunk[2::6], chunk[5::6]
        Obligee.objects.filter(pk__in=both).update(e_advance_since=since, e_contract_since=since)
        Obligee.objects.filter(pk__in=advance_only).update(e_advance_since=since)
        Obligee.objects.filter(pk__in=contract_only).update(e_contract_since=since)


def keep_accepting(count: int, name_contains: str = "") -> None:
    """Shrink the accepting obligees to `count` (matching a search), for query-count probes."""
    keep = list(
        _accepting().filter(name__contains=name_contains).order_by("pk")[:count].values("pk")
    )
    _accepting().exclude(pk__in=[row["pk"] for row in keep]).update(
        e_advance_since=None, e_contract_since=None
    )


def _password_hash() -> str:
    # One real hash shared by all bench users: hashing is deliberately slow (~0.5 s each).
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


def _contractor_user(email: str, password_hash: str) -> User:
    from accounts.models import Contractor, User

    name = email.split("@")[0]
    contractor = Contractor.objects.create(name=f"{name}建設 株式会社", kana=f"{name}ケンセツ")
    return User.objects.create(
        email=email, password=password_hash, full_name=f"{name} 太郎", contractor=contractor
    )


class _Numbers:
    """Unique application and guarantee numbers across all contractors."""

    def __init__(self) -> None:
        self.applications = itertools.count(1)
        self.guarantees = itertools.count(1)

    def application(self) -> str:
        return f"2025-{next(self.applications):07d}"

    def guarantee(self, branch_code: str) -> str:
        return f"{branch_code}-2025-{next(self.guarantees):06d}"


# One in twenty applications per status slot: mostly completed, as in a live system.
_APP_STATUSES = (
    ["draft"] * 2 + ["sent"] * 2 + ["reviewing", "returned", "withdrawn"] + ["reviewing"] * 2
) + ["completed"] * 11
_DONE_GUARANTEE_STATUSES = ["issued"] * 6 + ["approved", "amended", "cancelled", "expired"]
_KIND_SETS = [("advance",), ("advance", "contract"), ("contract",), ("advance",)]


def _guarantee_status(app_status: str, n: int) -> str:
    if app_status == "completed":
        return _DONE_GUARANTEE_STATUSES[n % len(_DONE_GUARANTEE_STATUSES)]
    return "reviewing" if app_status == "reviewing" else "requested"


def _seed_applications(
    user: User, count: int, obligee_ids: list[int], branches: list[Branch], numbers: _Numbers
) -> tuple[int, int]:
    from applications.models import Application
    from guarantees.models import Guarantee

    created = 0
    guarantee_count = 0
    for start in range(0, count, BATCH):
        apps = [
            _application(user, n, obligee_ids, branches, numbers)
            for n in range(start, min(start + BATCH, count))
        ]
        Application.objects.bulk_create(apps)  # PostgreSQL returns the new primary keys
        guarantees = [
            guarantee
            for n, app in enumerate(apps, start=start)
            for guarantee in _guarantees(app, n, numbers)
        ]
        Guarantee.objects.bulk_create(guarantees, batch_size=BATCH)
        created += len(apps)
        guarantee_count += len(guarantees)
    return created, guarantee_count


def _application(
    user: User, n: int, obligee_ids: list[int], branches: list[Branch], numbers: _Numbers
) -> Application:
    from applications.models import Application

    status = _APP_STATUSES[n % len(_APP_STATUSES)]
    amount = 3_000_000 + (n * 7_919_000) % 497_000_000
    return Application(
        contractor_id=user.contractor_id,
        created_by=user,
        number=None if status == "draft" else numbers.application(),
        status=status,
        obligee_id=obligee_ids[(n * 37) % len(obligee_ids)],
        works_name=f"市道{n % 900 + 1}号線道路改良工事（その{n % 7 + 1}）",
        works_place=f"第{n % 50 + 1}地区地内",
        contract_date=datetime.date(2025, 4, 1) + datetime.timedelta(days=n % 300),
        period_start=datetime.date(2025, 4, 2) + datetime.timedelta(days=n % 300),
        period_end=datetime.date(2026, 3, 19),
        contract_amount=amount,
        branch=branches[n % len(branches)],
        contact_person=user.full_name,
        contact_phone="03-1234-5678",
    )


def _guarantees(app: Application, n: int, numbers: _Numbers) -> Iterator[Guarantee]:
    from guarantees.models import Guarantee

    for kind in _KIND_SETS[n % len(_KIND_SETS)]:
        status = _guarantee_status(app.status, n)
        share = 40 if kind == "advance" else 10  # advance payment 40%, contract guarantee 10%
        numbered = status not in ("requested", "reviewing")
        yield Guarantee(
            application=app,
            kind=kind,
            status=status,
            number=numbers.guarantee(app.branch.code) if numbered else None,
            certificate_format="electronic" if n % 3 else "paper",
            amount=app.contract_amount * share // 100,
        )


def _spread_timestamps() -> None:
    """bulk_create stamps every row 'now': spread them over about a year, newest id newest."""
    from django.db import connection

    from applications.models import Application

    table = connection.ops.quote_name(Application._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} SET
                created_at = now() - (max_id - id) * interval '50 minutes',
                updated_at = now() - (max_id - id) * interval '50 minutes' + interval '3 hours',
                sent_at = CASE WHEN status = 'draft' THEN NULL
                          ELSE now() - (max_id - id) * interval '50 minutes' + interval '1 hour'
                          END
            FROM (SELECT max(id) AS max_id FROM {table}) AS m
            """  # the table name comes from the model, never from input
        )


# The branch workload: SQL over generate_series. Every expression below reads the columns of the
# source subquery `s` (the varying data arrives there as parameters), and uses mod() rather
# than the % operator, which would clash with the %s placeholders.

# Per hundred applications: mostly sent, under review or completed (with numbers), as in a live
# system; drafts are the contractors' and never reach a branch list.
_BULK_STATUSES = (
    ["draft"] * 3
    + ["sent"] * 8
    + ["reviewing"] * 14
    + ["returned"] * 3
    + ["withdrawn"] * 2
    + ["completed"] * 70
)
_RIVERS = ["鶴見川", "多摩川", "荒川", "江戸川", "利根川", "淀川", "木曽川", "筑後川", "石狩川"]
_WORKS_NAME_SQL = """CASE s.works
    WHEN 0 THEN '市道' || (1 + mod(s.g, 900))::text || '号線道路改良工事（その'
        || (1 + mod(s.g, 7))::text || '）'
    WHEN 1 THEN '第' || (1 + mod(s.g, 40))::text || '小学校校舎大規模改修工事'
    WHEN 2 THEN '一級河川' || s.river || '護岸整備工事（' || (1 + mod(s.g, 12))::text || '工区）'
    WHEN 3 THEN '公共下水道管渠布設工事（第' || (1 + mod(s.g, 30))::text || '工区）'
    WHEN 4 THEN s.river || '橋梁補修工事'
    ELSE '庁舎空調設備更新工事（' || (1 + mod(s.g, 12))::text || '期）'
END"""
_BULK_APPLICATIONS_SOURCE = """(
    SELECT g, p.branches[1 + mod(g, p.nb)] AS branch_id,
        p.contractors[1 + mod(g * 131, p.nc)] AS contractor_id,
        p.users[1 + mod(g * 131, p.nc)] AS user_id,
        p.obligees[1 + mod(g * 37, p.nobl)] AS obligee_id,
        p.statuses[1 + mod((g / p.nb) * 37, 100)] AS status,
        now() - (p.n - g) * p.step AS t,
        mod((g / p.nb) * 13, 6) AS works,
        p.rivers[1 + mod(g / 7, cardinality(p.rivers))] AS river,
        p.first_number + g AS number
    FROM (
        SELECT %s::bigint[] AS branches, %s::bigint[] AS contractors, %s::bigint[] AS users,
            %s::bigint[] AS obligees, %s::text[] AS statuses, %s::text[] AS rivers,
            %s::bigint AS n, %s::interval AS step, %s::bigint AS first_number
    ) AS p0
    CROSS JOIN LATERAL (
        SELECT p0.*, cardinality(p0.branches) AS nb, cardinality(p0.contractors) AS nc,
            cardinality(p0.obligees) AS nobl
    ) AS p
    CROSS JOIN generate_series(1::bigint, p.n) AS g
) AS s"""
_BULK_APPLICATION_VALUES = {
    "contractor_id": "s.contractor_id",
    "created_by_id": "s.user_id",
    "number": "CASE WHEN s.status = 'draft' THEN NULL"
    " ELSE to_char(s.t, 'YYYY') || '-' || lpad(s.number::text, 7, '0') END",
    "status": "s.status",
    "obligee_id": "s.obligee_id",
    "works_name": _WORKS_NAME_SQL,
    "works_place": "'第' || (1 + mod(s.g, 50))::text || '地区地内'",
    "contract_date": "(s.t - interval '20 days')::date",
    "period_start": "(s.t - interval '19 days')::date",
    "period_end": "(s.t + (90 + mod(s.g, 270)) * interval '1 day')::date",
    "contract_amount": "3000000 + mod(s.g * 7919000, 497000000)",
    "branch_id": "s.branch_id",
    "contact_person": "'ベンチ 花子'",
    "contact_phone": "'03-1234-5678'",
    "created_at": "s.t - interval '2 hours' - mod(s.g, 7) * interval '1 day'",
    "updated_at": "LEAST(now(), s.t + CASE WHEN s.status IN ('draft', 'sent') THEN interval '0'"
    " ELSE (1 + mod(s.g, 10)) * interval '1 day' END)",
    "sent_at": "CASE WHEN s.status = 'draft' THEN NULL ELSE s.t END",
}
# 1-2 guarantees per application, as _KIND_SETS: advance / both / contract / advance.
_BULK_GUARANTEES_SOURCE = """(
    SELECT a.id, a.contract_amount, a.sent_at, a.updated_at, b.code, k.kind, k.n,
        CASE a.status
            WHEN 'completed' THEN (%s::text[])[1 + mod(a.id, 10)]
            WHEN 'reviewing' THEN 'reviewing'
            ELSE 'requested'
        END AS status
    FROM {applications} AS a
    JOIN {branches} AS b ON b.id = a.branch_id
    CROSS JOIN (VALUES ('advance', 0), ('contract', 1)) AS k (kind, n)
    WHERE a.id > %s
        AND CASE mod(a.id, 4) WHEN 1 THEN true WHEN 2 THEN k.n = 1 ELSE k.n = 0 END
) AS s"""
_BULK_GUARANTEE_VALUES = {
    "application_id": "s.id",
    "kind": "s.kind",
    "status": "s.status",
    # Seven digits: never equal to the six-digit numbers of the contractors' guarantees.
    "number": "CASE WHEN s.status IN ('requested', 'reviewing') THEN NULL"
    " ELSE s.code || '-' || to_char(s.sent_at, 'YYYY') || '-' || lpad((2 * s.id + s.n)::text, 7, '0')"
    " END",
    "certificate_format": "CASE WHEN mod(s.id, 3) = 0 THEN 'paper' ELSE 'electronic' END",
    "amount": "s.contract_amount * CASE s.kind WHEN 'advance' THEN 40 ELSE 10 END / 100",
    "approved_at": "CASE WHEN s.status IN ('requested', 'reviewing') THEN NULL ELSE s.updated_at END",
}
_CONTRACTOR_PREFIXES = [
    "大成",
    "鹿島",
    "清水",
    "竹中",
    "大林",
    "前田",
    "西松",
    "戸田",
    "奥村",
    "熊谷",
]
_CONTRACTOR_SUFFIXES = ["建設 株式会社", "工業 株式会社", "組 株式会社", "土木 有限会社"]


def _seed_branch_workload(
    branches: list[Branch], small_branch: Branch, obligee_ids: list[int], numbers: _Numbers
) -> tuple[int, int]:
    """Fill the branches up to TOTAL_APPLICATIONS, and the small office with a handful."""
    from django.db import connection

    from applications.models import Application

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0), count(*) FROM {_table(Application)}")
        last_id, existing = cursor.fetchone()
    contractors, users = _bulk_contractors(BULK_CONTRACTORS)
    first_number = next(numbers.applications)
    count = TOTAL_APPLICATIONS - existing - SMALL_BRANCH_COUNT
    apps = _bulk_applications(
        [b.pk for b in branches], contractors, users, obligee_ids, count, first_number
    )
    apps += _bulk_applications(
        [small_branch.pk], contractors, users, obligee_ids, SMALL_BRANCH_COUNT, first_number + count
    )
    return apps, _bulk_guarantees(last_id)


def _bulk_contractors(count: int) -> tuple[list[int], list[int]]:
    """`count` companies with one user each (who creates their applications)."""
    from accounts.models import Contractor, User

    contractors = Contractor.objects.bulk_create(
        Contractor(
            name=f"{_CONTRACTOR_PREFIXES[n % 10]}{_CONTRACTOR_SUFFIXES[n // 10 % 4]}（{n}）",
            kana=f"ベンチケンセツ{n}",
        )
        for n in range(count)
    )
    users = User.objects.bulk_create(
        User(
            email=f"c{n:04d}@contractor.example.jp",
            password="!",  # unusable: nobody signs in as them
            full_name=f"請負者{n} 担当",
            contractor=contractor,
        )
        for n, contractor in enumerate(contractors)
    )
    return [c.pk for c in contractors], [u.pk for u in users]


def _bulk_applications(
    branch_ids: list[int],
    contractors: list[int],
    users: list[int],
    obligee_ids: list[int],
    count: int,
    first_number: int,
) -> int:
    from applications.models import Application

    step = BULK_SPAN / max(count, 1)
    params = [branch_ids, contractors, users, obligee_ids, _BULK_STATUSES, _RIVERS, count, step]
    return _insert_select(
        Application,
        _BULK_APPLICATION_VALUES,
        _BULK_APPLICATIONS_SOURCE,
        [*params, first_number - 1],
    )


def _bulk_guarantees(after_id: int) -> int:
    from accounts.models import Branch
    from applications.models import Application
    from guarantees.models import Guarantee

    source = _BULK_GUARANTEES_SOURCE.format(
        applications=_table(Application), branches=_table(Branch)
    )
    return _insert_select(
        Guarantee, _BULK_GUARANTEE_VALUES, source, [_DONE_GUARANTEE_STATUSES, after_id]
    )


def _insert_select(model, values: dict[str, str], source: str, params: list) -> int:
    """`INSERT INTO <model's table> SELECT ... FROM <source>`; returns the row count.

    Columns not in `values` (by attname) get what a model instance would: the field's default
    ("" for text fields without one), a fresh UUID for UUID fields, the database default or NULL; a NOT NULL column with none of these is an error, so a field
    added to the model later fails here loudly rather than in PostgreSQL.
    """
    from django.db import connection, models
    from django.db.models.fields import NOT_PROVIDED

    columns, expressions, default_params = [], [], []
    for field in model._meta.concrete_fields:
        if field.attname in values:
            expression = values[field.attname]
        elif field.primary_key or field.db_default is not NOT_PROVIDED:
            continue  # the sequence or the database fills it
        elif isinstance(field, models.UUIDField) and field.has_default():
            expression = "gen_random_uuid()"  # unique per row, unlike one default value
        elif field.has_default() or (field.empty_strings_allowed and not field.null):
            expression = "%s"  # as the model would: its default, or "" for a text field
            default_params.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            continue
        else:
            raise ValueError(f"bench seed: no value for {model.__name__}.{field.name}")
        columns.append(connection.ops.quote_name(field.column))
        expressions.append(expression)
    unknown = set(values) - {field.attname for field in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"bench seed: {model.__name__} has no field {sorted(unknown)}")
    statement = (
        f"INSERT INTO {_table(model)} ({', '.join(columns)})"
        f" SELECT {', '.join(expressions)} FROM {source}"
    )  # names come from the models, values arrive as parameters
    with connection.cursor() as cursor:
        cursor.execute(statement, [*default_params, *params])
        return cursor.rowcount


def _table(model) -> str:
    from django.db import connection

    return connection.ops.quote_name(model._meta.db_table)


def _seed_staff(branches: dict[str, Branch]) -> None:
    """The staff users of the admin pages, each with a confirmed TOTP device (see run.sign_in)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.groups import BRANCH_STAFF, HEAD_OFFICE, ensure_staff_groups
    from accounts.models import User

    groups = ensure_staff_groups()
    password_hash = _password_hash()
    for email, branch_code, group in [
        (STAFF_USER, STAFF_BRANCH, BRANCH_STAFF),
        (SMALL_STAFF_USER, SMALL_BRANCH[0], BRANCH_STAFF),
        (HEAD_OFFICE_USER, HEAD_OFFICE_BRANCH, HEAD_OFFICE),
    ]:
        user = User.objects.create(
            email=email,
            password=password_hash,
            full_name=f"{email.split('@')[0]} 担当",
            is_staff=True,
            branch=branches[branch_code],
        )
        user.groups.add(groups[group])
        TOTPDevice.objects.create(user=user, name=OTP_DEVICE_NAME, confirmed=True)


def keep_branch(code: str) -> None:
    """Leave only the applications (and their guarantees) of branch `code`, for query-count
    probes of the unscoped head-office list. TRUNCATE is transactional in PostgreSQL: the probe's
    rollback brings every row back, without the dead rows a mass UPDATE or DELETE would leave."""
    from django.db import connection

    from accounts.models import Branch
    from applications.models import Application
    from guarantees.models import Guarantee

    apps, guarantees = _table(Application), _table(Guarantee)
    branch_id = Branch.objects.get(code=code).pk
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_keep_apps ON COMMIT DROP AS"
            f" SELECT * FROM {apps} WHERE branch_id = %s",
            [branch_id],
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_keep_guarantees ON COMMIT DROP AS"
            f" SELECT g.* FROM {guarantees} AS g JOIN bench_keep_apps AS a ON a.id = g.application_id"
        )
        cursor.execute(f"TRUNCATE {apps}, {guarantees} CASCADE")
        cursor.execute(f"INSERT INTO {apps} SELECT * FROM bench_keep_apps")
        cursor.execute(f"INSERT INTO {guarantees} SELECT * FROM bench_keep_guarantees")
