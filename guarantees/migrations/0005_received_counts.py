from django.db import migrations
from django.db.models import Count


def count_receipts(apps, schema_editor):
    """Obligee.received_count for the receipts made before it was kept."""
    Obligee = apps.get_model("obligees", "Obligee")
    Receipt = apps.get_model("guarantees", "Receipt")
    for row in Receipt.objects.values("obligee_id").annotate(n=Count("id")).order_by():
        Obligee.objects.filter(pk=row["obligee_id"]).update(received_count=row["n"])


class Migration(migrations.Migration):
    dependencies = [
        ("guarantees", "0004_lifecycle"),
        ("obligees", "0002_received_count"),
    ]

    operations = [migrations.RunPython(count_receipts, migrations.RunPython.noop)]
