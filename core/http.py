"""Responses shared by the portal and the admin."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header


def pdf_response(content: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    """A PDF document for one signed-in user: never kept by a shared cache, never sniffed."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, filename) or ""
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
