from django.core.paginator import Paginator
from django.db.models import F, Q, Value
from django.db.models.functions import Replace
from django.shortcuts import render

from guarantees.kinds import GuaranteeKind
from obligees.forms import ObligeeSearchForm
from obligees.models import Obligee

PAGE_SIZE = 50


def _without_spaces(field: str):
    return Replace(Replace(F(field), Value(" "), Value("")), Value("\u3000"), Value(""))


def obligee_list(request):
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
