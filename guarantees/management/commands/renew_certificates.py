"""Run the renewal of document timestamps now (the beat runs it nightly): after a new TSA
certificate is put in place, or where no beat runs (`make run`)."""

from django.core.management.base import BaseCommand, CommandError

from guarantees import renewal


class Command(BaseCommand):
    help = "証明期限が近い保証証書にタイムスタンプを追加します(毎晩の処理を今すぐ実行します)。"

    def handle(self, *args: object, **options: object) -> None:
        run = renewal.renewal_run()
        if run is None:
            raise CommandError(
                "タイムスタンプの更新は実行中です。終了してからもう一度実行してください。"
            )
        self.stdout.write(
            f"更新 {run.renewed}件(うちB-LTA化 {run.upgraded}件)、対象外 {run.skipped}件、"
            f"失敗 {run.failed}件。"
        )
        for failure in run.failures:
            self.stdout.write(f"  {failure['name']}: {failure['reason']}")
        if run.note:
            self.stdout.write(self.style.WARNING(run.note))
