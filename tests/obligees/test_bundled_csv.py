import csv

from obligees.codes import is_valid_local_gov_code
from obligees.models import Obligee
from obligees.services import BUNDLED_CSV, obligees_import_csv


def _rows():
    with BUNDLED_CSV.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_it_holds_every_local_government_once_with_a_valid_code():
    coded = [row for row in _rows() if row["code"]]
    assert len(coded) == 1788
    assert sum(row["category"] == "prefecture" for row in coded) == 47
    assert sum(row["category"] == "municipality" for row in coded) == 1741
    assert len({row["code"] for row in coded}) == 1788
    assert all(is_valid_local_gov_code(row["code"]) for row in coded)
    assert all(int(row["prefecture"]) == int(row["code"][:2]) for row in coded)


def test_it_has_no_wards_of_designated_cities_nor_northern_territories():
    codes = {row["code"] for row in _rows()}
    assert "011011" not in codes  # 札幌市中央区
    assert "141011" not in codes  # 横浜市鶴見区
    assert "131016" in codes  # 千代田区: Tokyo's special wards are municipalities
    assert not any("016951" <= code <= "017001" for code in codes if code)


def test_it_has_a_few_national_bodies_without_code():
    national = [row for row in _rows() if not row["code"]]
    assert 5 <= len(national) <= 10
    assert {"国土交通省 関東地方整備局", "独立行政法人 水資源機構"} <= {r["name"] for r in national}
    assert {r["category"] for r in national} <= {"national", "independent_agency", "other"}


def test_kana_is_full_width_katakana():
    rows = _rows()
    assert all(row["kana"] and not any("ぁ" <= ch <= "ゖ" for ch in row["kana"]) for row in rows)


def test_it_imports_into_the_registry(db):
    report = obligees_import_csv(BUNDLED_CSV)

    assert (report.created, report.updated, report.unchanged) == (1798, 0, 0)
    shibukawa = Obligee.objects.get(code="102083")
    assert (shibukawa.name, shibukawa.kana, shibukawa.category) == (
        "渋川市",
        "シブカワシ",
        Obligee.Category.MUNICIPALITY,
    )
    assert shibukawa.prefecture == 10
    gunma = Obligee.objects.get(code="100005")
    assert (gunma.name, gunma.kana, gunma.category) == ("群馬県", "グンマケン", "prefecture")
    assert Obligee.objects.exclude(code=None).count() == 1788
    # The bundled list says nothing about electronic guarantees.
    assert not Obligee.objects.exclude(e_advance_since=None, e_contract_since=None).exists()
