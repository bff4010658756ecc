import datetime

import pytest

from core.models import AuditEntry
from obligees.models import Obligee
from obligees.services import BUNDLED_CSV, ImportReport, ObligeeImportError, obligees_import_csv
from tests.factories import ElectronicObligeeFactory, ObligeeFactory

HEADER = "code,name,kana,category,prefecture,address,e_advance_since,e_contract_since\n"


@pytest.fixture
def write_csv(tmp_path):
    def write(text: str, encoding: str = "utf-8"):
        path = tmp_path / "obligees.csv"
        path.write_bytes(text.encode(encoding))
        return path

    return write


def test_it_creates_obligees_from_a_good_file(db, write_csv):
    path = write_csv(
        HEADER + "100005,群馬県,ぐんまけん,都道府県,群馬県,前橋市大手町1-1-1,2022-05-09,\n"
        "102083,渋川市,シブカワシ,municipality,10,,2022-05-09,2023-04-01\n"
        ",国土交通省 関東地方整備局,ｺｸﾄﾞｺｳﾂｳｼｮｳ,national,埼玉,,,\n"
        "\n"  # blank lines are skipped
        "131016,千代田区,ちよだく,市区町村,,,2024/4/1,\n"
    )

    report = obligees_import_csv(path)

    assert report == ImportReport(created=4, updated=0, unchanged=0)
    gunma = Obligee.objects.get(code="100005")
    assert gunma.name == "群馬県"
    assert gunma.kana == "グンマケン"
    assert gunma.category == Obligee.Category.PREFECTURE
    assert gunma.prefecture == 10
    assert gunma.address == "前橋市大手町1-1-1"
    assert gunma.e_advance_since == datetime.date(2022, 5, 9)
    assert gunma.e_contract_since is None
    shibukawa = Obligee.objects.get(code="102083")
    assert shibukawa.e_contract_since == datetime.date(2023, 4, 1)
    kanto = Obligee.objects.get(name="国土交通省 関東地方整備局")
    assert (kanto.code, kanto.kana, kanto.category, kanto.prefecture) == (
        None,
        "コクドコウツウショウ",
        Obligee.Category.NATIONAL,
        11,
    )
    chiyoda = Obligee.objects.get(code="131016")
    assert chiyoda.prefecture == 13  # taken from the code when the cell is empty
    assert chiyoda.e_advance_since == datetime.date(2024, 4, 1)
    assert AuditEntry.objects.filter(action="obligee.created").count() == 4


def test_it_rejects_a_file_with_bad_rows_and_imports_nothing(db, write_csv):
    existing = ObligeeFactory(code="102083", name="渋川市")
    path = write_csv(
        HEADER + "100005,群馬県,グンマケン,prefecture,10,,,\n"  # line 2: good
        "102084,渋川市,シブカワシ,municipality,10,,,\n"  # 3: wrong check digit
        '10005,"群馬県\n(旧)",グンマケン,prefecture,10,,,\n'  # 4-5: leading zero lost
        ",,カナ,municipality,10,,,\n"  # 6: no name
        "102083,渋川市,シブカワシ,town,99,,2022-02-30,\n"  # 7: three problems
        "100005,群馬県,グンマケン,prefecture,10,,,\n"  # 8: duplicate of line 2
        "132012,八王子市,八王子,municipality,群馬県,,,\n"  # 9: kanji kana, wrong prefecture
    )

    with pytest.raises(ObligeeImportError) as raised:
        obligees_import_csv(path)

    lines = [line for line, _ in raised.value.errors]
    assert lines == [3, 4, 6, 7, 7, 7, 8, 9, 9]
    messages = dict(raised.value.errors)
    assert "検査数字" in messages[3]
    assert "6桁" in messages[4]
    assert messages[6] == "発注者名を入力してください。"
    assert "2行目と重複" in messages[8]
    assert raised.value.errors[3:6] == [
        (7, "区分「town」は使えません。都道府県(prefecture)、市区町村(municipality)、国(national)、"
         "独立行政法人(independent_agency)、その他(other)で入力してください。"),
        (7, "都道府県「99」は1〜47の番号または都道府県名(例: 群馬県)で入力してください。"),
        (7, "前払金保証の電子保証対応開始日「2022-02-30」は"
            "日付(例: 2022-05-09)で入力してください。"),
    ]  # fmt: skip
    assert raised.value.errors[7:] == [
        (9, "フリガナ「八王子」はカタカナで入力してください。"),
        (9, "団体コード「132012」と都道府県「群馬県」が一致しません。"),
    ]
    assert list(Obligee.objects.all()) == [existing]
    assert not AuditEntry.objects.exists()


def test_it_rejects_an_unknown_or_missing_column(db, write_csv):
    path = write_csv("code,kana,category,e_advance_sinse\n100005,グンマケン,prefecture,\n")

    with pytest.raises(ObligeeImportError) as raised:
        obligees_import_csv(path)

    assert [line for line, _ in raised.value.errors] == [1, 1]
    assert "name" in raised.value.errors[0][1]
    assert "e_advance_sinse" in raised.value.errors[1][1]


def test_it_rejects_a_row_longer_than_the_header(db, write_csv):
    path = write_csv("code,name,category\n100005,群馬県,prefecture,10\n")

    with pytest.raises(ObligeeImportError) as raised:
        obligees_import_csv(path)

    assert raised.value.errors == [(2, "見出し行より列が多くなっています。")]


def test_reimporting_the_same_file_changes_nothing(db, write_csv):
    path = write_csv(
        HEADER + "100005,群馬県,グンマケン,prefecture,10,,2022-05-09,\n"
        ",独立行政法人 水資源機構,ミズシゲンキコウ,independent_agency,11,,,\n"
    )
    obligees_import_csv(path)
    before = list(Obligee.objects.values())

    report = obligees_import_csv(path)

    assert report == ImportReport(created=0, updated=0, unchanged=2)
    assert list(Obligee.objects.values()) == before
    assert AuditEntry.objects.filter(action="obligee.updated").count() == 0


def test_reimporting_updates_a_changed_name_by_code_and_keeps_the_row(db, write_csv):
    obligees_import_csv(write_csv(HEADER + "102083,渋川町,シブカワマチ,municipality,10,,,\n"))
    original = Obligee.objects.get(code="102083")

    report = obligees_import_csv(
        write_csv(HEADER + "102083,渋川市,シブカワシ,municipality,10,,,\n")
    )

    assert report == ImportReport(created=0, updated=1, unchanged=0)
    shibukawa = Obligee.objects.get(code="102083")
    assert (shibukawa.pk, shibukawa.name, shibukawa.kana) == (original.pk, "渋川市", "シブカワシ")
    entry = AuditEntry.objects.get(action="obligee.updated")
    assert entry.object_id == shibukawa.pk
    assert entry.data["changes"] == {
        "name": ["渋川町", "渋川市"],
        "kana": ["シブカワマチ", "シブカワシ"],
    }


def test_rows_without_code_are_matched_by_name_and_category(db, write_csv):
    agency = ObligeeFactory(name="独立行政法人 水資源機構", category="independent_agency", kana="")
    namesake = ObligeeFactory(name="独立行政法人 水資源機構", category="other", kana="")

    report = obligees_import_csv(
        write_csv("name,kana,category\n独立行政法人 水資源機構,ミズシゲンキコウ,独立行政法人\n")
    )

    assert report == ImportReport(created=0, updated=1, unchanged=0)
    agency.refresh_from_db()
    namesake.refresh_from_db()
    assert agency.kana == "ミズシゲンキコウ"
    assert namesake.kana == ""


def test_absent_acceptance_columns_leave_the_stored_dates_alone(db, write_csv):
    obligee = ElectronicObligeeFactory(
        code="102083", name="渋川市", kana="シブカワシ", prefecture=10
    )

    report = obligees_import_csv(
        write_csv("code,name,kana,category,prefecture\n102083,渋川市,シブカワシ,municipality,10\n")
    )

    assert report == ImportReport(created=0, updated=0, unchanged=1)
    obligee.refresh_from_db()
    assert obligee.e_advance_since == datetime.date(2022, 5, 9)
    assert obligee.e_contract_since == datetime.date(2022, 5, 9)


def test_present_acceptance_columns_set_or_clear_the_dates(db, write_csv):
    obligee = ElectronicObligeeFactory(
        code="102083", name="渋川市", kana="シブカワシ", prefecture=10
    )

    report = obligees_import_csv(
        write_csv(
            "code,name,category,e_advance_since,e_contract_since\n"
            "102083,渋川市,municipality,2024-04-01,\n"
        )
    )

    assert report == ImportReport(created=0, updated=1, unchanged=0)
    obligee.refresh_from_db()
    assert obligee.e_advance_since == datetime.date(2024, 4, 1)
    assert obligee.e_contract_since is None  # empty cell: no longer accepted
    assert obligee.kana == "シブカワシ"  # no kana column: kept


def test_it_reads_a_spreadsheet_export_in_shift_jis_with_full_width_digits(db, write_csv):
    path = write_csv(
        "code,name,kana,category,prefecture\r\n１０２０８３,渋川市,ｼﾌﾞｶﾜｼ,市区町村,10\r\n", "cp932"
    )

    obligees_import_csv(path)

    obligee = Obligee.objects.get()
    assert (obligee.code, obligee.kana) == ("102083", "シブカワシ")


def test_it_reads_utf8_with_a_byte_order_mark(db, write_csv):
    obligees_import_csv(write_csv("\ufeffcode,name,category\n102083,渋川市,municipality\n"))

    assert Obligee.objects.get().code == "102083"


def test_it_imports_the_bundled_list_with_few_queries_and_reports_progress(
    db, django_assert_max_num_queries
):
    calls = []
    # Bulk inserts: a handful of statements (a few dozen on SQLite, limited to 999 parameters).
    with django_assert_max_num_queries(40):
        report = obligees_import_csv(BUNDLED_CSV, progress=lambda done, total: calls.append(done))

    assert report.created == 1798
    assert calls == [500, 1000, 1500, 1798]
    with django_assert_max_num_queries(5):
        assert obligees_import_csv(BUNDLED_CSV) == ImportReport(0, 0, 1798)
