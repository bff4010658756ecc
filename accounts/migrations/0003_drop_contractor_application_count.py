from django.db import migrations


class Migration(migrations.Migration):
    # 申込一覧 counts up to its limit instead (core.paginator.CappedCountPaginator).
    dependencies = [
        ("accounts", "0002_contractor_application_count"),
        ("applications", "0010_application_counts"),
    ]

    operations = [migrations.RemoveField(model_name="contractor", name="application_count")]
