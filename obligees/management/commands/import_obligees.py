import getpass
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from obligees.services import BUNDLED_CSV, ObligeeImportError, obligees_import_csv


class Command(BaseCommand):
    help = "発注者をCSVファイルから登録・更新します(ファイルを省略すると同梱の一覧を使います)。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "file",
            nargs="?",
            type=Path,
            default=BUNDLED_CSV,
            help="CSVファイル(UTF-8、見出し行あり)",
        )

    def handle(self, *args: Any, file: Path, verbosity: int, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"ファイルが見つかりません: {file}")

        # On a terminal the count is rewritten in place; in a log it is one line per batch.
        live = self.stderr.isatty()

        def progress(done: int, total: int) -> None:
            if verbosity >= 1:
                self.stderr.write(
                    f"\r{done:,} / {total:,} 件" if live else f"{done:,} / {total:,} 件",
                    ending="" if live else "\n",
                )

        try:
            report = obligees_import_csv(file, operator=_operator(), progress=progress)
        except ObligeeImportError as exc:
            for line, message in exc.errors:
                self.stderr.write(f"{line}行目: {message}")
            raise CommandError(str(exc)) from exc
        if live and verbosity >= 1 and report.total:
            self.stderr.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"{file.name} を取り込みました: 新規 {report.created:,} 件、"
                f"更新 {report.updated:,} 件、変更なし {report.unchanged:,} 件"
            )
        )


def _operator() -> str:
    """The account that ran the command, for the audit entry of the import."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (e.g. a container's numeric user)
        return ""
