from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_contractor_application_count"),
        ("applications", "0009_drop_redundant_fk_indexes"),
    ]

    # The counter it filled is dropped by a later migration: nothing to fill. Kept so that the
    # migrations that depend on it still find it.
    operations = []
