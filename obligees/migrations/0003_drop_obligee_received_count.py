from django.db import migrations


class Migration(migrations.Migration):
    # 受領した保証証書 counts up to its limit instead (core.paginator.CappedCountPaginator).
    dependencies = [
        ("obligees", "0002_received_count"),
        ("guarantees", "0005_received_counts"),
    ]

    operations = [migrations.RemoveField(model_name="obligee", name="received_count")]
