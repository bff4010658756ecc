from django.db import migrations
from django.db.models import Count


def count_applications(apps, schema_editor):
    """Contractor.application_count for the applications made before it was kept."""
    Contractor = apps.get_model("accounts", "Contractor")
    Application = apps.get_model("applications", "Application")
    for row in Application.objects.values("contractor_id").annotate(n=Count("id")).order_by():
        Contractor.objects.filter(pk=row["contractor_id"]).update(application_count=row["n"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_contractor_application_count"),
        ("applications", "0009_drop_redundant_fk_indexes"),
    ]

    operations = [migrations.RunPython(count_applications, migrations.RunPython.noop)]
