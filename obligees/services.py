"""Writes to the obligee registry (発注者): the CSV import."""

import csv
import datetime
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jaconv
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import translation

from core.audit import jsonable, log_action
from core.models import AuditEntry
from obligees.codes import is_valid_local_gov_code
from obligees.models import PREFECTURES, Obligee

BUNDLED_CSV = Path(__file__).resolve().parent / "data" / "obligees.csv"

REQUIRED_COLUMNS = ("name", "category")
# Columns that, when absent from the header, leave the stored value untouched.
OPTIONAL_COLUMNS = ("code", "kana", "prefecture", "address", "e_advance_since", "e_contract_since")
_DATE_COLUMN_LABELS = {
    "e_advance_since": "前払金保証の電子保証対応開始日",
    "e_contract_since": "契約保証の電子保証対応開始日",
}
_BATCH_SIZE = 500
_KANA = re.compile(r"[\u30a0-\u30ff 0-9A-Za-z]*")  # katakana (with ・ and ー), spaces, ASCII
_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")


@dataclass(frozen=True)
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


class ObligeeImportError(Exception):
    """The file was rejected; `errors` lists (line number, Japanese message), header = line 1."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = errors
        super().__init__(f"{len(errors)}件の誤りがあるため、取り込みませんでした。")


def obligees_import_csv(
    path: str | Path,
    *,
    # Whoever log_action records (the registry sits below accounts: any user model will do).
    user: AbstractBaseUser | AnonymousUser | None = None,
    operator: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Create or update obligees from a CSV file, all rows or none.

    Rows are matched by `code`, or by (name, category) among obligees without a code. Every row
    is validated before anything is written; a bad row raises ObligeeImportError. Columns other
    than name and category may be left out of the header, and the stored values of a left-out
    column stay as they are (an empty e_*_since cell, by contrast, means "not accepted").

    The import itself is audited with who ran it (`user`, or `operator` for a command run from a
    shell), the file's name and SHA-256 and the counts, besides an entry per changed obligee.
    """
    data = Path(path).read_bytes()
    rows = _read_rows(data)
    total = len(rows)
    with transaction.atomic():
        existing = list(Obligee.objects.all())
        by_code = {o.code: o for o in existing if o.code}
        by_name = {(o.name, o.category): o for o in existing if not o.code}
        created, updated, unchanged = 0, 0, 0
        audit: list[tuple[Obligee, str, dict[str, Any]]] = []
        for start in range(0, total, _BATCH_SIZE):
            to_create: list[Obligee] = []
            to_update: list[Obligee] = []
            changed_fields: set[str] = set()
            for values in rows[start : start + _BATCH_SIZE]:
                code = values.get("code")
                if code:
                    obligee = by_code.get(code)
                else:
                    obligee = by_name.get((values["name"], values["category"]))
                if obligee is None:
                    to_create.append(Obligee(**values))
                    continue
                changes = {
                    field: [jsonable(getattr(obligee, field)), jsonable(value)]
                    for field, value in values.items()
                    if getattr(obligee, field) != value
                }
                if not changes:
                    unchanged += 1
                    continue
                for field in changes:
                    setattr(obligee, field, values[field])
                to_update.append(obligee)
                changed_fields.update(changes)
                audit.append((obligee, "obligee.updated", {"source": "csv", "changes": changes}))
            Obligee.objects.bulk_create(to_create)
            if to_update:
                Obligee.objects.bulk_update(to_update, sorted(changed_fields))
            created += len(to_create)
            updated += len(to_update)
            audit += [(o, "obligee.created", {"source": "csv"}) for o in to_create]
            if progress:
                progress(min(start + _BATCH_SIZE, total), total)
        _log_bulk(audit)
        report = ImportReport(created=created, updated=updated, unchanged=unchanged)
        log_action(
            Obligee,
            "obligee.imported",
            user=user,
            data={
                "file": Path(path).name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "operator": operator,
                "rows": report.total,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            },
        )
    return report


def _log_bulk(entries: Iterable[tuple[Obligee, str, dict[str, Any]]]) -> None:
    content_type = ContentType.objects.get_for_model(Obligee)
    AuditEntry.objects.bulk_create(
        (
            AuditEntry(content_type=content_type, object_id=o.pk, action=action, data=data)
            for o, action, data in entries
        ),
        batch_size=_BATCH_SIZE,
    )


def _read_rows(data: bytes) -> list[dict[str, Any]]:
    """The model field values of every row, or ObligeeImportError with every problem found."""
    text = _decode(data)
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="__extra__")
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    reader.fieldnames = header
    columns = set(header)
    errors = _check_header(header)
    if errors:
        raise ObligeeImportError(errors)

    rows: list[dict[str, Any]] = []
    seen_codes: dict[str, int] = {}
    seen_names: dict[tuple[str, str], int] = {}
    choices = _CategoryChoices()
    for raw in reader:
        # line_num is the row's last line; a quoted cell may span several.
        cells_text = [v for v in raw.values() if isinstance(v, str)]
        row_line = reader.line_num - sum(v.count("\n") for v in cells_text)
        if "__extra__" in raw and any((cell or "").strip() for cell in raw["__extra__"]):
            errors.append((row_line, "見出し行より列が多くなっています。"))
            continue
        cells = {k: (v or "").strip() for k, v in raw.items() if k != "__extra__"}
        if not any(cells.values()):
            continue
        values, row_errors = _clean_row(cells, columns, choices)
        errors += [(row_line, message) for message in row_errors]
        if row_errors:
            continue
        code = values.get("code")
        if code:
            if code in seen_codes:
                errors.append(
                    (row_line, f"団体コード「{code}」が{seen_codes[code]}行目と重複しています。")
                )
            seen_codes.setdefault(code, row_line)
        else:
            key = (values["name"], values["category"])
            if key in seen_names:
                errors.append(
                    (
                        row_line,
                        f"団体コードのない「{key[0]}」が{seen_names[key]}行目と重複しています。",
                    )
                )
            seen_names.setdefault(key, row_line)
        rows.append(values)
    if errors:
        raise ObligeeImportError(errors)
    return rows


def _decode(data: bytes) -> str:
    # Excel saves CSV as Shift_JIS (cp932) unless told otherwise; accept that as well.
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    raise ObligeeImportError([(1, "文字コードを判別できません。UTF-8で保存してください。")])


def _check_header(header: list[str]) -> list[tuple[int, str]]:
    errors = []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        errors.append((1, f"見出し行に必須の列がありません: {', '.join(missing)}"))
    unknown = [c for c in header if c not in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)]
    if unknown:
        allowed = ", ".join((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
        errors.append(
            (1, f"見出し行に不明な列があります: {', '.join(unknown)}(使える列: {allowed})")
        )
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        errors.append((1, f"見出し行で列名が重複しています: {', '.join(duplicated)}"))
    return errors


class _CategoryChoices:
    """Category values, and their labels in Japanese (the source text) and the active language."""

    def __init__(self) -> None:
        self.by_text = {value: value for value in Obligee.Category.values}
        self.by_text.update({str(label): value for value, label in Obligee.Category.choices})
        with translation.override("ja"):
            self.by_text.update({str(label): value for value, label in Obligee.Category.choices})

    def hint(self) -> str:
        with translation.override("ja"):
            return "、".join(f"{label}({value})" for value, label in Obligee.Category.choices)

    def get(self, text: str) -> str | None:
        return self.by_text.get(text) or self.by_text.get(text.lower())


_PREFECTURE_NUMBERS = {name: number for number, name in enumerate(PREFECTURES, start=1)}
# "群馬" for 群馬県, "東京" for 東京都; 北海道 keeps its name.
_PREFECTURE_NUMBERS.update({name[:-1]: n for name, n in _PREFECTURE_NUMBERS.items() if n != 1})


def _clean_row(
    cells: dict[str, str], columns: set[str], choices: _CategoryChoices
) -> tuple[dict[str, Any], list[str]]:
    """The model field values of one row, and the Japanese messages of what is wrong with it."""
    # Full-width digits and half-width katakana are normalised; names are kept as written.
    cells = {
        k: v if k in ("name", "address") else unicodedata.normalize("NFKC", v)
        for k, v in cells.items()
    }
    values: dict[str, Any] = {}
    errors: list[str] = []

    code = cells.get("code", "")
    if "code" in columns:
        values["code"] = code or None
        if code and not (len(code) == 6 and code.isascii() and code.isdigit()):
            errors.append(f"団体コード「{code}」は6桁の数字で入力してください(先頭の0も必要です)。")
        elif code and not is_valid_local_gov_code(code):
            errors.append(f"団体コード「{code}」の検査数字(6桁目)が正しくありません。")

    values["name"] = cells["name"]
    if not values["name"]:
        errors.append("発注者名を入力してください。")
    elif len(values["name"]) > 100:
        errors.append("発注者名は100文字以内で入力してください。")

    category = choices.get(cells["category"])
    values["category"] = category
    if category is None:
        errors.append(
            f"区分「{cells['category']}」は使えません。{choices.hint()}で入力してください。"
        )

    if "kana" in columns:
        kana = jaconv.hira2kata(cells["kana"])
        values["kana"] = kana
        if not _KANA.fullmatch(kana):
            errors.append(f"フリガナ「{cells['kana']}」はカタカナで入力してください。")
        elif len(kana) > 200:
            errors.append("フリガナは200文字以内で入力してください。")

    if "prefecture" in columns and cells["prefecture"]:
        text = cells["prefecture"]
        if text.isascii() and text.isdigit():
            values["prefecture"] = int(text) if 1 <= int(text) <= 47 else None
        else:
            values["prefecture"] = _PREFECTURE_NUMBERS.get(text)
        if values["prefecture"] is None:
            errors.append(
                f"都道府県「{text}」は1〜47の番号または都道府県名(例: 群馬県)で入力してください。"
            )
        elif code and is_valid_local_gov_code(code) and int(code[:2]) != values["prefecture"]:
            errors.append(f"団体コード「{code}」と都道府県「{text}」が一致しません。")
    elif code and is_valid_local_gov_code(code):
        # The first two digits of a local government code are its prefecture.
        values["prefecture"] = int(code[:2])
    elif "prefecture" in columns:
        values["prefecture"] = None

    if "address" in columns:
        values["address"] = cells["address"]
        if len(values["address"]) > 200:
            errors.append("所在地は200文字以内で入力してください。")

    for column, label in _DATE_COLUMN_LABELS.items():
        if column in columns:
            text = cells[column]
            values[column] = _parse_date(text)
            if text and values[column] is None:
                errors.append(f"{label}「{text}」は日付(例: 2022-05-09)で入力してください。")
    return values, errors


def _parse_date(text: str) -> datetime.date | None:
    match = _DATE.fullmatch(text)
    if not match:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
