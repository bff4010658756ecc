"""CSV files that spreadsheet programs open safely.

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` as a formula
(`=HYPERLINK(...)`, `+cmd|' /C calc'!A0`), and a leading tab or carriage return can hide such a
start. Any text a user typed (a works name, a company name) may start that way, so every text
cell is written with a leading apostrophe when it does: the spreadsheet shows it as text
(OWASP, "CSV Injection").
"""

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """`value` as a CSV cell that no spreadsheet runs: None → "", numbers as they are, text
    starting like a formula prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeWriter:
    """csv.writer whose rows pass through safe_cell, cell by cell."""

    def __init__(self, file: "SupportsWrite[str]", **options: Any) -> None:
        self._writer = csv.writer(file, **options)

    def writerow(self, row: Iterable[object]) -> Any:
        """Writes one row; returns what the file's write() returned (the line itself for a file
        that hands it back, as a streamed response needs)."""
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)
