import datetime
import re

import pytest
from django.urls import reverse

from obligees.models import Obligee
from obligees.views import PAGE_SIZE
from tests.factories import ElectronicObligeeFactory, ObligeeFactory
from tests.obligees.typed_names import TYPED_NAMES

URL = reverse("obligees:list")


def _names(response) -> list[str]:
    return [obligee.name for obligee in response.context["page"].object_list]


@pytest.fixture
def registry(db):
    return {
        "shibukawa": ElectronicObligeeFactory(
            code="102083", name="渋川市", kana="シブカワシ", prefecture=10, e_contract_since=None
        ),
        "gunma": ElectronicObligeeFactory(
            code="100005",
            name="群馬県",
            kana="グンマケン",
            category=Obligee.Category.PREFECTURE,
            prefecture=10,
            e_advance_since=None,
            e_contract_since=datetime.date(2023, 4, 1),
        ),
        "kanto": ElectronicObligeeFactory(
            name="国土交通省 関東地方整備局",
            kana="コクドコウツウショウカントウチホウセイビキョク",
            category=Obligee.Category.NATIONAL,
            prefecture=11,
        ),
        "saitama": ElectronicObligeeFactory(
            code="111007", name="さいたま市", kana="サイタマシ", prefecture=11
        ),
        "maebashi": ObligeeFactory(code="102016", name="前橋市", kana="マエバシシ", prefecture=10),
    }


def test_it_lists_only_obligees_accepting_electronic_guarantees_without_sign_in(client, registry):
    response = client.get(URL)

    assert response.status_code == 200
    assert _names(response) == ["群馬県", "渋川市", "さいたま市", "国土交通省 関東地方整備局"]
    html = response.content.decode()
    assert '<h1 class="h3">電子保証対応の発注者</h1>' in html
    assert (
        "電子保証は、発注者が電子保証の利用を認めた工事・業務委託についてご利用いただけます。"
        in html
    )
    assert "前橋市" not in html
    row = re.search(r"<tr>\s*<td[^>]*>渋川市</td>.*?</tr>", html, re.S).group()
    assert "群馬県" in row
    assert '<span>対応 <span class="small">2022年5月9日から</span></span>' in row
    assert "未対応" in row
    assert "4件中 1〜4件目を表示" in html


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        *((typed, [name]) for typed, name in TYPED_NAMES),
        ("前橋", []),  # registered but not accepting
    ],
)
def test_it_searches_by_name_or_kana(client, registry, q, expected):
    response = client.get(URL, {"q": q})

    assert _names(response) == expected


def test_it_filters_by_prefecture_and_kind(client, registry):
    assert _names(client.get(URL, {"prefecture": 10})) == ["群馬県", "渋川市"]
    assert _names(client.get(URL, {"prefecture": 10, "kind": "contract"})) == ["群馬県"]
    assert _names(client.get(URL, {"prefecture": 10, "kind": "advance"})) == ["渋川市"]
    assert _names(client.get(URL, {"q": "さい", "prefecture": 11})) == ["さいたま市"]


def test_it_shows_a_message_when_nothing_matches(client, registry):
    response = client.get(URL, {"q": "存在しない市"})

    assert _names(response) == []
    assert "条件に一致する発注者は見つかりませんでした。" in response.content.decode()


def test_it_reports_an_invalid_filter_and_ignores_it(client, registry):
    response = client.get(URL, {"prefecture": "99", "q": "し"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-invalid="true"' in html
    assert 'id="id_prefecture_error"' in html
    assert _names(response) == ["渋川市", "さいたま市", "国土交通省 関東地方整備局"]


def test_the_search_form_labels_its_controls(client, registry):
    html = client.get(URL).content.decode()

    for name, label in [
        ("q", "発注者名・フリガナ"),
        ("prefecture", "都道府県"),
        ("kind", "保証の種類"),
    ]:
        assert f'<label for="id_{name}" class="form-label">{label}</label>' in html
        assert f'id="id_{name}"' in html
    assert '<option value="10">群馬県</option>' in html


def test_pages_keep_the_filters(client, db):
    ElectronicObligeeFactory.create_batch(PAGE_SIZE * 2 + 5, prefecture=10)
    ElectronicObligeeFactory.create_batch(3, prefecture=11)

    response = client.get(URL, {"prefecture": 10, "q": "テスト", "page": 2})

    page = response.context["page"]
    assert (page.number, page.paginator.count, len(page.object_list)) == (2, 105, PAGE_SIZE)
    assert all(obligee.prefecture == 10 for obligee in page.object_list)
    html = response.content.decode()
    assert '<nav aria-label="ページ送り">' in html
    assert 'href="?prefecture=10&amp;q=%E3%83%86%E3%82%B9%E3%83%88&amp;page=3"' in html
    assert 'href="?prefecture=10&amp;q=%E3%83%86%E3%82%B9%E3%83%88&amp;page=1"' in html
    assert 'aria-current="page"' in html
    assert "105件中 51〜100件目を表示" in html


def test_an_out_of_range_page_shows_the_last_page(client, db):
    ElectronicObligeeFactory.create_batch(PAGE_SIZE + 1)

    response = client.get(URL, {"page": 9})

    assert response.context["page"].number == 2


def _accepting(count: int) -> list[Obligee]:
    return Obligee.objects.bulk_create(
        Obligee(
            name=f"テスト市{n}",
            kana=f"テストシ{n}",
            category=Obligee.Category.MUNICIPALITY,
            prefecture=n % 47 + 1,
            e_advance_since=datetime.date(2022, 5, 9),
        )
        for n in range(count)
    )


@pytest.mark.parametrize("params", [{}, {"q": "てすと", "prefecture": 10, "kind": "advance"}])
def test_it_runs_the_same_two_queries_for_10_or_1000_obligees(
    client, db, django_assert_num_queries, params
):
    _accepting(10)
    with django_assert_num_queries(2):  # the count and the page
        client.get(URL, params)

    _accepting(990)
    with django_assert_num_queries(2):
        response = client.get(URL, params)
    assert response.context["page"].paginator.count == (1000 if not params else 22)
