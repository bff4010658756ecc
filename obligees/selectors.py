"""Reads of the obligee registry (発注者): the type-ahead search behind the application form."""

import re
import unicodedata

import jaconv
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Length, Replace
from django.utils.translation import gettext as _

from obligees.models import PREFECTURE_CHOICES, Obligee

SEARCH_LIMIT = 20
QUERY_MAX_LENGTH = 100  # the longest name in the registry is under 40 characters
# More words than this add conditions, not precision: a query is cut to its first few words.
_MAX_TERMS = 5
# Words are split at spaces and at the brackets and commas of a label such as 渋川市(群馬県).
_SEPARATORS = re.compile(r"[\s(),、]+")
_SPACES = re.compile(r"\s+")
_FIELDS = ("id", "name", "kana", "category", "prefecture", "e_advance_since", "e_contract_since")


def _compact(field: str) -> Replace:
    """The column without spaces: names are stored as 国土交通省 関東地方整備局 and typed either way."""
    return Replace(Replace(F(field), Value(" "), Value("")), Value("\u3000"), Value(""))


def _fold(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII, half-width katakana to full width)."""
    return unicodedata.normalize("NFKC", text)


def query_error(query: str) -> str | None:
    """A Japanese message when `query` cannot be searched; None when it can."""
    if len(query) > QUERY_MAX_LENGTH:
        return _("発注者名は%(limit)d文字以内で入力してください。") % {"limit": QUERY_MAX_LENGTH}
    # NUL (which PostgreSQL refuses in a string) and the other control characters.
    if any(unicodedata.category(char) == "Cc" for char in query if char not in "\t\n\r"):
        return _("発注者名に使用できない文字が含まれています。")
    return None


def search_terms(query: str) -> list[str]:
    """The words of a query, folded as the registry is written; at most a few."""
    return [term for term in _SEPARATORS.split(_fold(query)) if term][:_MAX_TERMS]


def obligee_label(obligee: Obligee) -> str:
    """The name people choose an obligee by: a municipality with its prefecture (府中市(東京都))."""
    if obligee.category == Obligee.Category.MUNICIPALITY and obligee.prefecture:
        return f"{obligee.name}({obligee.get_prefecture_display()})"
    return obligee.name


def _matching(terms: list[str]) -> QuerySet[Obligee]:
    """Obligees whose name or フリガナ contains every term; a term may also name the prefecture.

    Exact matches of the first term come first, then names or readings that start with it, then
    the rest; shorter names before longer ones, then in registry order (north to south).
    """
    obligees = Obligee.objects.only(*_FIELDS).alias(
        name_compact=_compact("name"), kana_compact=_compact("kana")
    )
    for term in terms:
        kana = jaconv.hira2kata(term)  # しぶかわ is stored as シブカワ
        condition = Q(name_compact__icontains=term) | Q(kana_compact__icontains=kana)
        prefectures = [number for number, name in PREFECTURE_CHOICES if name.startswith(term)]
        if prefectures:
            condition |= Q(prefecture__in=prefectures)
        obligees = obligees.filter(condition)
    first, first_kana = terms[0], jaconv.hira2kata(terms[0])
    rank = Case(
        When(Q(name_compact__iexact=first) | Q(kana_compact=first_kana), then=Value(0)),
        When(Q(name_compact__istartswith=first) | Q(kana_compact__startswith=first_kana), then=1),
        default=Value(2),
        output_field=IntegerField(),
    )
    return obligees.alias(rank=rank).order_by(
        "rank",
        Length("name"),
        F("prefecture").asc(nulls_last=True),
        F("code").asc(nulls_last=True),
        "pk",
    )


def obligee_search(query: str, *, limit: int = SEARCH_LIMIT) -> tuple[list[Obligee], bool]:
    """Up to `limit` obligees matching what was typed, and whether more match; one query.

    A query that cannot be searched (see `query_error`) or has no words matches nothing.
    """
    terms = search_terms(query)
    if not terms or query_error(query):
        return [], False
    found = list(_matching(terms)[: limit + 1])
    return found[:limit], len(found) > limit


def obligee_for_text(text: str) -> tuple[Obligee | None, list[Obligee]]:
    """The obligee a typed name stands for, when it names exactly one; else the candidates.

    A name counts when it is the obligee's label (渋川市(群馬県)), name or reading, ignoring
    spaces and full/half width. Used when a name is typed without choosing from the list.
    """
    candidates, _more = obligee_search(text)
    typed = _key(text)
    exact = [
        obligee
        for obligee in candidates
        if {typed, jaconv.hira2kata(typed)}
        & {_key(obligee_label(obligee)), _key(obligee.name), _key(obligee.kana)}
    ]
    if len(exact) == 1:
        return exact[0], exact
    return None, exact or candidates


def _key(text: str) -> str:
    return _SPACES.sub("", _fold(text)).casefold()
