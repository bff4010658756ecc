"""The admin list opens on the work to do (送信済, 審査中), newest first."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("applications", "0006_drop_accepted_status")]

    operations = [
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("status__in", ["sent", "reviewing"])),
                fields=["branch", "-sent_at", "-id"],
                name="application_branch_todo_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("status__in", ["sent", "reviewing"])),
                fields=["-sent_at", "-id"],
                name="application_todo_idx",
            ),
        ),
    ]
