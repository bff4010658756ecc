"""The obligee user's received list (受領した保証証書), with the forms of 電子保証の受領."""

from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.http import AuthenticatedHttpRequest
from core.forms import input_texts
from core.paginator import CappedCountPaginator
from core.urls import pk_url
from guarantees import received
from guarantees.models import Receipt
from obligee_portal.forms import ReceivedSearchForm
from obligee_portal.receive import receiving_context, typed_receiving

PAGE_SIZE = 20


@login_required
def obligee_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """受領した保証証書, searched by the GET query (a result can be bookmarked), with the forms
    that receive one more (電子保証の受領: number and key typed, or notice PDFs)."""
    user = request.user
    if user.obligee_id is None:
        raise PermissionDenied
    response, form, status = typed_receiving(request)
    if response is not None:
        return response
    search_form = ReceivedSearchForm(request.GET)
    search = search_form.search()
    rows = received.received_rows(user, search)
    paginator = CappedCountPaginator(rows, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    # Counted on the receipts alone; the page's own values are read for its rows only.
    page.object_list = received.list_rows(
        received.list_values(cast(QuerySet[Receipt], page.object_list)),  # a slice of `rows`
        today=timezone.localdate(),
        detail_url=pk_url("obligee_portal:certificate"),
    )
    return render(
        request,
        "obligee_portal/obligee_home.html",
        {
            **receiving_context(user, form),
            "search_form": search_form,
            "search_inputs": input_texts(search_form),
            "page": page,
            "printed_at": timezone.localtime(),
        },
        status=status,
    )
