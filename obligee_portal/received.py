"""The obligee user's received certificates beyond the list itself: the CSV of a search, one
certificate with its versions, and the signed PDF of a version it received (SPEC §7)."""

import datetime
import re
from collections.abc import Iterator
from functools import wraps
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.http import AuthenticatedHttpRequest, View
from accounts.models import User
from core.csv import SafeWriter
from core.http import pdf_response
from core.wareki import era_date
from guarantees import received
from guarantees.models import Receipt
from guarantees.selectors import CertificateState, certificate_state
from obligee_portal.forms import ReceivedSearchForm

CSV_HEADER = [
    "保証契約番号",
    "版",
    "保証の種類",
    "請負者",
    "工事名",
    "保証金額",
    "発行日(和暦)",
    "発行日(西暦)",
    "状態",
    "受領日",
    "受領者",
]
# Rows fetched from the database at a time while the CSV streams out.
CSV_CHUNK = 500


def obligee_required(view: View) -> View:
    """Signed-in obligee users only. Anyone else signed in gets the 404 an unknown certificate
    gets: these addresses tell nobody else what exists."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = cast(User, request.user)  # login_required lets only a signed-in user through
        if user.obligee_id is None:
            raise Http404
        return view(request, *args, **kwargs)

    return cast(View, wrapper)


class _Echo:
    """A file whose write() returns the line, for csv.writer inside a streamed response."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: QuerySet[Receipt], *, today: datetime.date) -> Iterator[str]:
    # Every text cell comes from what someone typed (names, works): SafeWriter keeps a
    # spreadsheet from running any of them as a formula.
    writer = SafeWriter(_Echo())
    yield "\ufeff"  # BOM: Excel opens UTF-8 Japanese correctly (as the admin's export does)
    yield writer.writerow(CSV_HEADER)
    for receipt in rows.iterator(chunk_size=CSV_CHUNK):
        snapshot = receipt.certificate.snapshot
        issued_on = snapshot.get("issued_on") or ""
        yield writer.writerow(
            [
                snapshot.get("number"),
                snapshot.get("version"),
                snapshot.get("kind_label"),
                snapshot.get("contractor", {}).get("name"),
                snapshot.get("works", {}).get("name"),
                snapshot.get("amount"),
                era_date(datetime.date.fromisoformat(issued_on)) if issued_on else "",
                issued_on,
                str(certificate_state(receipt.certificate, today=today).label),
                timezone.localdate(receipt.received_at).isoformat(),
                str(receipt.received_by),
            ]
        )


@obligee_required
def received_csv(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """受領した保証証書 of the current search as CSV: every matching row, streamed."""
    form = ReceivedSearchForm(request.GET)
    search = form.search()
    if search is None:  # the list shows what is wrong, with everything typed
        return redirect(f"{reverse('obligee_portal:home')}?{request.GET.urlencode()}")
    rows = received.received_rows(request.user, search)
    today = timezone.localdate()
    response = StreamingHttpResponse(
        _csv_lines(rows, today=today), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="received-certificates-{today:%Y%m%d}.csv"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@obligee_required
def certificate_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One certificate version: everything it states, its state, the signature check of a
    received version, and every version of the guarantee with what changed between them."""
    certificate = received.certificate_for_obligee_or_404(request.user, pk)
    today = timezone.localdate()
    history = received.version_history(certificate, request.user, today=today)
    current = next(v for v in history if v.certificate.pk == certificate.pk)
    newest = history[-1]
    signature = matches = None
    if current.received_at is not None:
        signature, matches = received.signature_check(certificate)
    return render(
        request,
        "obligee_portal/certificate_detail.html",
        {
            "certificate": certificate,
            "snapshot": certificate.snapshot,
            "fields": received.snapshot_fields(certificate.snapshot),
            "version": current,
            "history": history,
            "newest": newest,
            "newer_not_received": newest.received_at is None
            and newest.certificate.pk != certificate.pk,
            "signature": signature,
            "matches_issued": matches,
            "states": CertificateState,
        },
    )


@never_cache
@obligee_required
def certificate_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The signed PDF of a version the user's obligee received: the very bytes issued."""
    certificate = received.received_certificate_or_404(request.user, pk)
    with certificate.pdf.open("rb") as file:
        content = file.read()
    number = re.sub(r"[^A-Za-z0-9-]+", "_", certificate.snapshot.get("number") or "")
    return pdf_response(content, f"certificate-{number}-v{certificate.version}.pdf")
