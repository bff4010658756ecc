from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("guarantees", "0004_lifecycle"),
        ("obligees", "0002_received_count"),
    ]

    # The counter it filled is dropped by a later migration: nothing to fill. Kept so that the
    # migrations that depend on it still find it.
    operations = []
