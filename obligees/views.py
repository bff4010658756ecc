import datetime

from django.core.paginator import Paginator
from django.db.models import F, Q, Value
from django.db.models.functions import Replace
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.kinds import GuaranteeKind
from obligees import selectors
from obligees.forms import ObligeeSearchForm
from obligees.models import Obligee

PAGE_SIZE = 50


def _without_spaces(field: str) -> Replace:
    return Replace(Replace(F(field), Value(" "), Value("")), Value("\u3000"), Value(""))


def obligee_list(request: HttpRequest) -> HttpResponse:
    """電子保証対応の発注者: public, no sign-in; one query for the rows and one count."""
    form = ObligeeSearchForm(request.GET)
    form.is_valid()  # an invalid field is reported on the form and its filter left out
    search = form.cleaned_data
    obligees = Obligee.objects.exclude(e_advance_since=None, e_contract_since=None)
    if search.get("q"):
        obligees = obligees.alias(
            name_compact=_without_spaces("name"), kana_compact=_without_spaces("kana")
        ).filter(
            Q(name_compact__icontains=search["q"]) | Q(kana_compact__icontains=form.kana_query)
        )
    if search.get("prefecture"):
        obligees = obligees.filter(prefecture=search["prefecture"])
    if search.get("kind") == GuaranteeKind.ADVANCE:
        obligees = obligees.exclude(e_advance_since=None)
    elif search.get("kind") == GuaranteeKind.CONTRACT:
        obligees = obligees.exclude(e_contract_since=None)
    obligees = obligees.order_by(
        F("prefecture").asc(nulls_last=True), F("code").asc(nulls_last=True), "kana", "pk"
    )

    page = Paginator(obligees, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "filtered": any(search.get(name) for name in ("q", "prefecture", "kind")),
    }
    return render(request, "obligees/obligee_list.html", context)


# The browser may reuse an answer while the user types back and forth; the registry changes
# rarely, and the e-guarantee rule is checked again on the server when the form is sent.
SEARCH_MAX_AGE = 60


@require_GET
def obligee_search(request: HttpRequest) -> JsonResponse:
    """The application form's 発注者 type-ahead: `?q=` → up to 20 obligees, best first.

    For signed-in contractor users, the only ones filling in the form: the whole registry with
    its acceptance dates is for them, while the public list above shows the obligees that accept
    e-guarantees. Answers JSON in every case, for the script to show.
    """
    if not request.user.is_authenticated:
        return JsonResponse(
            {"error": _("ログインの有効期限が切れました。再度ログインしてください。")}, status=403
        )
    if request.user.contractor_id is None:
        return JsonResponse({"error": _("この機能は請負者の方専用です。")}, status=403)
    query = request.GET.get("q", "")
    if error := selectors.query_error(query):
        return JsonResponse({"error": error}, status=400)
    found, more = selectors.obligee_search(query)
    response = JsonResponse(
        {
            "results": [
                {
                    "id": obligee.pk,
                    "label": selectors.obligee_label(obligee),
                    "name": obligee.name,
                    "kana": obligee.kana,
                    "e_advance_since": _iso(obligee.e_advance_since),
                    "e_contract_since": _iso(obligee.e_contract_since),
                }
                for obligee in found
            ],
            "more": more,
        }
    )
    patch_cache_control(response, private=True, max_age=SEARCH_MAX_AGE)
    return response


def _iso(day: datetime.date | None) -> str | None:
    return day.isoformat() if day else None
