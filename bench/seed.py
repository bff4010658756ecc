"""A fresh benchmark database, seeded with realistic volumes (fast: bulk_create in batches).

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

    branches = [
        Branch.objects.create(code=code, name=name)
        for code, name in [("01", "本店営業部"), ("13", "東京支店"), ("27", "大阪支店")]
    ]
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
    _spread_timestamps()
    with connection.cursor() as cursor:
        # A served database is vacuumed by autovacuum: fresh statistics for the planner and a
        # visibility map, so that counts are index-only scans as they are in production.
        cursor.execute("VACUUM ANALYZE")
    counts["obligees"] = len(obligee_ids)
    counts["obligees_accepting"] = _accepting().count()
    return counts


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
    ["draft"] * 2 + ["sent"] * 2 + ["accepted", "returned", "withdrawn"] + ["reviewing"] * 2
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
