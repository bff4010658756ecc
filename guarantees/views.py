from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.decorators import contractor_required
from core.paginator import CappedCountPaginator
from core.urls import pk_url
from guarantees import selectors
from guarantees.snapshot import certificate_snapshot

PAGE_SIZE = 20


@contractor_required
def fee_statement_list(request):
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
def fee_statement_pdf(request, pk: int):
    """保証料計算書 (PDF) of one guarantee, as a download named after its number."""
    # WeasyPrint takes ~0.35 s to import: only the processes that render a document pay it.
    from guarantees.rendering import render_fee_statement

    guarantee = selectors.fee_statement_for_user_or_404(request.user, pk)
    # An issued guarantee's statement names what its certificate states; before issuance, the
    # guarantee as approved.
    snapshot = selectors.latest_snapshot(guarantee) or certificate_snapshot(
        guarantee, version=1, issued_on=timezone.localdate(guarantee.approved_at)
    )
    pdf = render_fee_statement(snapshot, guarantee.fee_breakdown)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="fee-statement-{guarantee.number}.pdf"'
    return response
