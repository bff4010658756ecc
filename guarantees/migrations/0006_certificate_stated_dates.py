import datetime

from django.db import migrations, models


def copy_dates_from_snapshots(apps, schema_editor):
    """Certificate.issued_on and period_end of the versions issued before they were kept: what
    each version's snapshot states (as Certificate.stated_dates reads it)."""
    Certificate = apps.get_model("guarantees", "Certificate")
    last = 0
    while True:  # in batches by key: SQLite cannot write a table while iterating over it
        batch = list(Certificate.objects.filter(pk__gt=last).order_by("pk")[:1000])
        if not batch:
            return
        for certificate in batch:
            end = (certificate.snapshot.get("guarantee_period") or {}).get("end")
            certificate.issued_on = datetime.date.fromisoformat(certificate.snapshot["issued_on"])
            certificate.period_end = datetime.date.fromisoformat(end) if end else None
        Certificate.objects.bulk_update(batch, ["issued_on", "period_end"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("guarantees", "0005_received_counts")]

    operations = [
        # Nullable first, filled from the snapshots, then required.
        migrations.AddField(
            model_name="certificate",
            name="issued_on",
            field=models.DateField(null=True, verbose_name="発行日"),
        ),
        migrations.AddField(
            model_name="certificate",
            name="period_end",
            field=models.DateField(
                blank=True, db_index=True, null=True, verbose_name="保証期間(至)"
            ),
        ),
        migrations.RunPython(copy_dates_from_snapshots, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="certificate",
            name="issued_on",
            field=models.DateField(db_index=True, verbose_name="発行日"),
        ),
    ]
