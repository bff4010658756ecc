"""/obligees/search/: the 発注者 type-ahead of the application form (JSON, contractors only)."""

import datetime

import factory
import pytest
from django.urls import reverse

from obligees.models import Obligee
from obligees.selectors import QUERY_MAX_LENGTH, SEARCH_LIMIT
from tests.factories import ObligeeFactory, UserFactory
from tests.obligees.typed_names import TYPED_NAMES

URL = reverse("obligees:search")


MUNICIPALITY, PREFECTURE, NATIONAL = (
    Obligee.Category.MUNICIPALITY,
    Obligee.Category.PREFECTURE,
    Obligee.Category.NATIONAL,
)
# key: (団体コード, name, フリガナ, category, prefecture)
REGISTRY = {
    "shibukawa": ("102083", "渋川市", "シブカワシ", MUNICIPALITY, 10),
    "gunma": ("100005", "群馬県", "グンマケン", PREFECTURE, 10),
    "kawaba": ("104493", "川場村", "カワバムラ", MUNICIPALITY, 10),
    "kawasaki": ("141305", "川崎市", "カワサキシ", MUNICIPALITY, 14),
    "kanto": (
        None,
        "国土交通省 関東地方整備局",
        "コクドコウツウショウ カントウチホウセイビキョク",
        NATIONAL,
        None,
    ),
    "saitama": ("111007", "さいたま市", "サイタマシ", MUNICIPALITY, 11),
    "fuchu_tokyo": ("132063", "府中市", "フチュウシ", MUNICIPALITY, 13),
    "fuchu_hiroshima": ("342076", "府中市", "フチュウシ", MUNICIPALITY, 34),
}


@pytest.fixture
def registry(db) -> dict[str, Obligee]:
    """A few obligees; only 渋川市 accepts e-guarantees, and only advance-payment ones."""
    obligees = {
        key: ObligeeFactory(code=code, name=name, kana=kana, category=category, prefecture=pref)
        for key, (code, name, kana, category, pref) in REGISTRY.items()
    }
    obligees["shibukawa"].e_advance_since = datetime.date(2022, 5, 9)
    obligees["shibukawa"].save()
    return obligees


@pytest.fixture
def contractor_client(client, alice):
    client.force_login(alice)
    return client


def _many(count: int) -> None:
    ObligeeFactory.create_batch(
        count, name=factory.Sequence(lambda n: f"テスト市{n:03d}"), kana="テストシ"
    )


def _labels(response) -> list[str]:
    return [result["label"] for result in response.json()["results"]]


@pytest.mark.parametrize(("q", "name"), TYPED_NAMES)
def test_it_matches_names_and_readings_as_people_type_them(contractor_client, registry, q, name):
    response = contractor_client.get(URL, {"q": q})
    assert response.status_code == 200
    assert [result["name"] for result in response.json()["results"]] == [name]
    assert response.json()["more"] is False


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("渋川市（群馬県）", ["渋川市(群馬県)"]),  # the label itself, with full-width brackets
        ("群馬 しぶ", ["渋川市(群馬県)"]),  # every word must match; a word may be the prefecture
        ("府中市", ["府中市(東京都)", "府中市(広島県)"]),  # the same name in two prefectures
        ("渋 " * 45, ["渋川市(群馬県)"]),  # many words: only the first few are searched
        ("前橋", []),
    ],
)
def test_it_matches_labels_and_several_words(contractor_client, registry, q, expected):
    response = contractor_client.get(URL, {"q": q})
    assert (response.status_code, _labels(response)) == (200, expected)


def test_each_result_carries_what_the_form_shows(contractor_client, registry):
    response = contractor_client.get(URL, {"q": "渋川"})
    assert response.json() == {
        "results": [
            {
                "id": registry["shibukawa"].pk,
                "label": "渋川市(群馬県)",
                "name": "渋川市",
                "kana": "シブカワシ",
                "e_advance_since": "2022-05-09",
                "e_contract_since": None,
            }
        ],
        "more": False,
    }
    # Short-lived and for this user only: typing back and forth asks the server once.
    assert response["Cache-Control"] == "private, max-age=60"


def test_exact_and_prefix_matches_come_first(contractor_client, registry):
    # 川場村 and 川崎市 start with 川; 渋川市 only contains it.
    assert _labels(contractor_client.get(URL, {"q": "川"})) == [
        "川場村(群馬県)",
        "川崎市(神奈川県)",
        "渋川市(群馬県)",
    ]
    assert _labels(contractor_client.get(URL, {"q": "かわ"})) == [
        "川場村(群馬県)",
        "川崎市(神奈川県)",
        "渋川市(群馬県)",
    ]
    # The prefecture itself, then the municipalities the word names by their prefecture, in
    # the registry's order (団体コード).
    assert _labels(contractor_client.get(URL, {"q": "群馬"})) == [
        "群馬県",
        "渋川市(群馬県)",
        "川場村(群馬県)",
    ]


def test_it_answers_at_most_twenty_and_says_there_are_more(contractor_client, db):
    _many(SEARCH_LIMIT + 5)
    response = contractor_client.get(URL, {"q": "テスト"})
    assert len(response.json()["results"]) == SEARCH_LIMIT
    assert response.json()["more"] is True


def test_exactly_twenty_matches_are_not_more(contractor_client, db):
    _many(SEARCH_LIMIT)
    response = contractor_client.get(URL, {"q": "テスト"})
    assert len(response.json()["results"]) == SEARCH_LIMIT
    assert response.json()["more"] is False


def test_the_query_count_does_not_grow_with_the_matches(
    contractor_client, db, django_assert_num_queries
):
    ObligeeFactory(name="テスト市", kana="テストシ")
    contractor_client.get(URL, {"q": "テスト"})  # the session is read once into the cache
    with django_assert_num_queries(2):  # the signed-in user and the search
        assert len(contractor_client.get(URL, {"q": "テスト"}).json()["results"]) == 1
    _many(40)
    with django_assert_num_queries(2):
        assert len(contractor_client.get(URL, {"q": "テスト"}).json()["results"]) == SEARCH_LIMIT


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "　",
        "😀",
        "渋川😀",
        "%",  # LIKE wildcards are searched for as they are
        "_",
        "' OR 1=1 --",
        "\ufffd",  # what a broken UTF-8 sequence in the address becomes
    ],
)
def test_odd_input_finds_nothing_and_never_fails(contractor_client, registry, q):
    response = contractor_client.get(URL, {"q": q})
    assert response.status_code == 200
    assert response.json() == {"results": [], "more": False}


def test_a_missing_query_finds_nothing(contractor_client, registry):
    response = contractor_client.get(URL)
    assert (response.status_code, response.json()) == (200, {"results": [], "more": False})


def test_broken_utf8_in_the_address_finds_nothing(contractor_client, registry):
    response = contractor_client.get(f"{URL}?q=%ED%A0%80%FF")
    assert (response.status_code, response.json()["results"]) == (200, [])


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("a" * 10_000, f"発注者名は{QUERY_MAX_LENGTH}文字以内で入力してください。"),
        (
            "渋" * (QUERY_MAX_LENGTH + 1),
            f"発注者名は{QUERY_MAX_LENGTH}文字以内で入力してください。",
        ),
        # Control characters are refused before the view (PostgreSQL refuses NUL in text).
        ("\x00", "入力に使用できない文字(制御文字)が含まれています。"),
        ("渋川\x00市", "入力に使用できない文字(制御文字)が含まれています。"),
        ("渋川\x1b", "入力に使用できない文字(制御文字)が含まれています。"),
    ],
)
def test_unsearchable_input_is_a_400_with_a_japanese_message(
    contractor_client, registry, q, message
):
    # As the combobox's script asks: JSON, whose message it shows under the box.
    response = contractor_client.get(URL, {"q": q}, headers={"accept": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_the_longest_query_allowed_is_searched(contractor_client, registry):
    response = contractor_client.get(URL, {"q": "渋" * QUERY_MAX_LENGTH})
    assert (response.status_code, response.json()["results"]) == (200, [])


def test_only_get_is_allowed(contractor_client, registry):
    assert contractor_client.post(URL, {"q": "渋川"}).status_code == 405


def test_anonymous_visitors_get_no_registry(client, registry):
    response = client.get(URL, {"q": "渋川"})
    assert response.status_code == 403
    assert response.json() == {
        "error": "ログインの有効期限が切れました。再度ログインしてください。"
    }


@pytest.mark.parametrize("persona", ["obligee_user", "staff"])
def test_users_other_than_contractors_get_no_registry(client, registry, persona):
    if persona == "obligee_user":
        user = UserFactory(contractor=None, obligee=registry["shibukawa"])
    else:
        user = UserFactory(contractor=None, is_staff=True)
    client.force_login(user)
    response = client.get(URL, {"q": "渋川"})
    assert response.status_code == 403
    assert response.json() == {"error": "この機能は請負者の方専用です。"}


def test_acceptance_dates_are_given_as_stored(contractor_client, registry):
    registry["shibukawa"].e_contract_since = datetime.date(2023, 4, 1)
    registry["shibukawa"].save()
    (result,) = contractor_client.get(URL, {"q": "渋川"}).json()["results"]
    assert (result["e_advance_since"], result["e_contract_since"]) == ("2022-05-09", "2023-04-01")
