"""The contractor's certificate pages (PDF, key reveal), the public verification page, and
保証料計算書一覧 with its PDFs."""

import datetime
import re
from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.decorators import contractor_required
from accounts.models import User
from accounts.roles import can_reveal_key, role_required
from core.errors import ServiceError
from core.http import pdf_response
from core.middleware import answers_any_path
from core.paginator import CappedCountPaginator
from core.urls import pk_url
from guarantees import selectors, services
from guarantees.forms import KeyRevealForm
from guarantees.selectors import CertificateState, certificate_state


class ContractorRequest(HttpRequest):
    """A request that contractor_required let through: its user is a signed-in contractor user."""

    user: User


# --- Certificates of the contractor's company ---------------------------------------------------


@never_cache  # the company's own document: no shared cache keeps a copy
@contractor_required
def certificate_pdf(request: ContractorRequest, pk: int) -> FileResponse:
    """証書PDF: an electronic certificate version of the user's company, as a download."""
    certificate = selectors.electronic_certificate_for_user_or_404(request.user, pk)
    number = re.sub(r"[^A-Za-z0-9-]+", "_", certificate.guarantee.number or "")
    response = FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        filename=f"certificate-{number}-v{certificate.version}.pdf",
        content_type="application/pdf",
    )
    # Set here too, whatever the site-wide setting: a download is never to be read as a page.
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache  # no-store: the page that shows the key is kept by no cache, the browser's included
@sensitive_post_parameters("password")
@contractor_required
@role_required(can_reveal_key)
def certificate_key(request: ContractorRequest, pk: int) -> HttpResponse:
    """認証キーを表示: the password again (POST), then the key, on this response only."""
    certificate = selectors.electronic_certificate_for_user_or_404(request.user, pk)
    in_force = certificate_state(certificate, today=timezone.localdate()) == CertificateState.VALID
    form = KeyRevealForm(request.POST if request.method == "POST" else None)
    status = 200
    if in_force and form.is_valid():
        try:
            key = services.certificate_key_reveal(
                certificate_id=certificate.pk,
                user=request.user,
                password=form.cleaned_data["password"],
            )
        except ServiceError as exc:
            form.add_error("password", exc.messages[0])
            status = 429 if exc.code == "rate_limited" else 200
        else:
            return render(
                request,
                "guarantees/certificate_key_shown.html",
                {
                    "certificate": certificate,
                    "key": key,
                    "notice_pass": services.key_notice_pass(certificate, request.user),
                    # Once the obligee holds this version, nothing is left to hand over.
                    "received_at": selectors.received_on([certificate.pk]).get(certificate.pk),
                },
            )
    return render(
        request,
        "guarantees/certificate_key.html",
        {
            "certificate": certificate,
            "form": form,
            "in_force": in_force,
            "not_in_force": services.KEY_NOT_IN_FORCE,
        },
        status=status,
    )


@require_POST
@never_cache
@contractor_required
@role_required(can_reveal_key)
def certificate_key_notice(request: ContractorRequest, pk: int) -> HttpResponseBase:
    """「電子保証証書閲覧用『認証キー』等のお知らせ」 (PDF), from the page showing the key."""
    certificate = selectors.electronic_certificate_for_user_or_404(request.user, pk)
    try:
        pdf = services.key_notice_pdf(
            certificate_id=certificate.pk,
            user=request.user,
            notice_pass=request.POST.get("notice_pass", ""),
        )
    except ServiceError as exc:
        messages.error(request, exc.messages[0])
        return redirect("guarantees:certificate_key", pk=certificate.pk)
    number = re.sub(r"[^A-Za-z0-9-]+", "_", certificate.guarantee.number or "")
    return pdf_response(pdf, f"key-notice-{number}-v{certificate.version}.pdf")


# --- Public -------------------------------------------------------------------------------------


@answers_any_path  # a NUL byte in the token is one more unknown token: the same 404
@never_cache  # its status changes (amended, cancelled): always asked afresh
def certificate_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The address in a certificate's QR code: what it states and whether it is in force.

    Public, without sign-in. It shows only what the document itself prints, and of a newer
    version only that there is one.
    """
    certificate = selectors.certificate_by_token_or_404(token)
    snapshot = certificate.snapshot
    response = render(
        request,
        "guarantees/certificate_verify.html",
        {
            "snapshot": snapshot,
            **certificate_dates(snapshot),
            "state": certificate_state(certificate, today=timezone.localdate()),
            "states": CertificateState,
        },
    )
    # The token is as good as the document: search engines do not list it, and no page this one
    # links to learns it from the Referer header.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def certificate_dates(snapshot: dict[str, Any]) -> dict[str, datetime.date | None]:
    """The dates a certificate prints (templates/guarantees/_certificate_facts.html), as dates
    for the templates' date formats."""
    return {
        "issued_on": _date(snapshot["issued_on"]),
        "period_start": _date(snapshot["guarantee_period"]["start"]),
        "period_end": _date(snapshot["guarantee_period"]["end"]),
    }


def _date(iso: str) -> datetime.date | None:
    """A snapshot's ISO date (guarantees.snapshot) as a date for the template's date format."""
    return datetime.date.fromisoformat(iso) if iso else None


PAGE_SIZE = 20


@contractor_required
def fee_statement_list(request: ContractorRequest) -> HttpResponse:
    """保証料計算書一覧: the company's approved guarantees with their fee, newest first."""
    page = CappedCountPaginator(selectors.fee_statement_rows(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    pdf_url = pk_url("guarantees:fee_statement_pdf")
    for guarantee in page.object_list:
        guarantee.pdf_url = pdf_url(guarantee.pk)
    return render(request, "guarantees/fee_statement_list.html", {"page": page})


@never_cache
@contractor_required
def fee_statement_pdf(request: ContractorRequest, pk: int) -> HttpResponse:
    """保証料計算書 (PDF) of one guarantee, as a download named after its number."""
    # WeasyPrint takes ~0.35 s to import: only the processes that render a document pay it.
    from guarantees.issuance import fee_statement

    guarantee = selectors.fee_statement_for_user_or_404(request.user, pk)
    return pdf_response(fee_statement(guarantee), f"fee-statement-{guarantee.number}.pdf")
