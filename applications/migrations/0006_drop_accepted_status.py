"""受付 is the branch's action, not a status: an accepted application is in review (審査中).

Nothing ever set 'accepted'; any row that has it (data entered by hand) moves to 'reviewing', and
its guarantees that were still waiting (申込中) to 審査中, as application_accept does.
"""

from django.db import migrations, models


def accepted_to_reviewing(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    Guarantee = apps.get_model("guarantees", "Guarantee")
    accepted = Application.objects.filter(status="accepted")
    Guarantee.objects.filter(application__in=accepted, status="requested").update(
        status="reviewing"
    )
    accepted.update(status="reviewing")


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0005_sent_by_and_form_token_per_company"),
        ("guarantees", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(accepted_to_reviewing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="application",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "作成中"),
                    ("sent", "送信済"),
                    ("reviewing", "審査中"),
                    ("completed", "完了"),
                    ("returned", "差戻し"),
                    ("withdrawn", "取下げ"),
                ],
                default="draft",
                max_length=12,
                verbose_name="手続状況",
            ),
        ),
    ]
