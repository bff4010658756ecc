"""`make bench`, renewal part: how fast the nightly renewal of document timestamps goes.

A store of BENCH_RENEWAL_STORE (100,000) electronic certificate versions, of which a sample of
BENCH_RENEWAL_SAMPLE (400) is due (proven until within the margin) and has a real signed B-LTA file
of its own (~70 KB, a copy of a certificate issued for real); the others are proven for years.
One run of the renewal (guarantees.renewal.renewal_run, in this process: what one worker does)
renews the sample: each file read, its newest timestamp's chain validated, validation data and a
document timestamp appended, the new file written, recorded, the old deleted, audited. The
selection among the 100,000 rows is part of what is timed.

Printed: certificates per second (wall and CPU), and the time a year's certificates (250,000)
would take at that rate, next to the goal of one night (8 hours) on one worker. The rate is
extrapolated from the sample: the work per certificate does not depend on how many there are
(the selection is an index range), and the files are ones like production's.

Its own PostgreSQL database `netdesk_bench_renewal` (dropped and made again), PKI and media
under bench/out/renewal-*.
"""

import datetime
import json
import os
import secrets
import shutil
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from bench import environment  # noqa: E402
from bench.environment import OUT  # noqa: E402

A_YEAR = 250_000
NIGHT_HOURS = 8.0


def make_store(store: int, sample: int) -> list[int]:
    """`store` certificate rows (copies of four issued for real), `sample` of them due, each of
    those with its own copy of the signed file; returns the ids of the due ones."""
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from bench.issuance import make_guarantees
    from guarantees import issuance
    from guarantees.models import Certificate, Guarantee

    per_guarantee = 30_000  # versions are small integers: several guarantees hold the store
    guarantee_ids, _staff = make_guarantees(-(-store // per_guarantee))
    Guarantee.objects.filter(pk__in=guarantee_ids).update(issue_requested_at=timezone.now())
    originals = [issuance.certificate_issue(pk) for pk in guarantee_ids]
    with originals[0].pdf.open("rb") as stored:
        pdf = stored.read()
    now = timezone.now()
    soon = now + datetime.timedelta(days=30)
    later = now + datetime.timedelta(days=3650)
    rows = []
    made = len(originals)
    for original in originals:
        for version in range(2, per_guarantee + 2):
            if made >= store:
                break
            due = len(rows) < sample
            name = original.pdf.name
            if due:
                name = default_storage.save(
                    f"certificates/{original.guarantee.number}/"
                    f"{original.guarantee.number}-v{version}.pdf",
                    _content(pdf),
                )
            rows.append(
                Certificate(
                    guarantee_id=original.guarantee_id,
                    version=version,
                    certificate_format=original.certificate_format,
                    verify_token=secrets.token_urlsafe(16),
                    snapshot=original.snapshot,
                    issued_on=original.issued_on,
                    period_end=original.period_end,
                    pdf=name,
                    sha256=originals[0].sha256 if due else original.sha256,
                    key_digest=secrets.token_hex(32),
                    key_encrypted=original.key_encrypted,
                    issued_at=original.issued_at,
                    proven_until=soon if due else later,
                )
            )
            made += 1
    Certificate.objects.bulk_create(rows, batch_size=2000)
    return list(
        Certificate.objects.filter(proven_until=soon).values_list("pk", flat=True).order_by("pk")
    )


def _content(pdf: bytes):
    from django.core.files.base import ContentFile

    return ContentFile(pdf)


def measure(due_ids: list[int]) -> dict:
    from io import BytesIO

    from django.db import connection
    from pyhanko.pdf_utils.reader import PdfFileReader

    from guarantees import renewal
    from guarantees.models import Certificate

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE guarantees_certificate")
    started, cpu_started = time.perf_counter(), time.process_time()
    run = renewal.renewal_run()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert run is not None
    if (run.renewed, run.failed) != (len(due_ids), 0):
        raise RuntimeError(f"renewed {run.renewed}, failed {run.failed}: {run.failures[:3]}")
    sample = Certificate.objects.get(pk=due_ids[0])
    with sample.pdf.open("rb") as stored:
        stamps = len(PdfFileReader(BytesIO(stored.read())).embedded_timestamp_signatures)
    if stamps != 2:
        raise RuntimeError(f"a renewed file has {stamps} document timestamps, not 2")
    rate = len(due_ids) / wall
    year_hours = A_YEAR / rate / 3600
    return {
        "store": Certificate.objects.count(),
        "renewed": run.renewed,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "certificates_per_second": round(rate, 1),
        "cpu_ms_per_certificate": round(cpu / len(due_ids) * 1000, 1),
        "year_of_certificates": A_YEAR,
        "year_hours": round(year_hours, 2),
        # On a core of its own (the wall time above includes waiting for a shared CPU, the
        # database and the disk): the CPU the renewal itself spends.
        "year_hours_cpu": round(A_YEAR * cpu / len(due_ids) / 3600, 2),
        "goal_hours": NIGHT_HOURS,
        "passed": year_hours <= NIGHT_HOURS,
    }


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    OUT.mkdir(parents=True, exist_ok=True)
    for folder in ("renewal-pki", "renewal-media"):
        shutil.rmtree(OUT / folder, ignore_errors=True)
    url = environment.database_url("netdesk_bench_renewal")
    environment.configure_environment(
        url,
        DJANGO_SETTINGS_MODULE="netdesk.settings",
        PKI_DIR=str(OUT / "renewal-pki"),
        MEDIA_ROOT=str(OUT / "renewal-media"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    os.environ.pop("REDIS_URL", None)  # tasks in-process; the run's lock in the local cache
    environment.prepare_database(url, dev_ca=True)
    store = int(os.environ.get("BENCH_RENEWAL_STORE", 100_000))
    sample = int(os.environ.get("BENCH_RENEWAL_SAMPLE", 400))
    print(f"renewal: a store of {store:,} certificates, {sample} due ...", flush=True)
    due_ids = make_store(store, sample)
    result = measure(due_ids)
    verdict = {True: "PASS", False: "FAIL"}
    print(
        f"\nrenewal, one process, {result['renewed']} due among {result['store']:,}:"
        f" {result['certificates_per_second']:.1f} certificates/s"
        f" ({result['cpu_ms_per_certificate']:.1f} ms CPU each);"
        f" a year's {A_YEAR:,} at that rate: {result['year_hours']:.1f} h"
        f" ({result['year_hours_cpu']:.1f} h of CPU)"
        f" (goal ≤ {NIGHT_HOURS:.0f} h, one night) {verdict[result['passed']]}"
    )
    (OUT / "renewal.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
