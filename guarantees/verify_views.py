"""保証証書PDFの確認: anyone uploads a certificate PDF to learn whether it is genuine and in force —
as a page (/verify/) and as JSON for obligees' e-procurement systems (POST /api/verify/). Both
answer from guarantees.verification.verify_pdf."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from accounts.lockout import client_ip
from core.errors import ServiceError
from core.ratelimit import rate_limit_hit
from guarantees.selectors import CertificateState
from guarantees.verification import (
    BUSY_RETRY_SECONDS,
    PDF_CONTENT_TYPES,
    BoundedUploadHandler,
    Verdict,
    VerificationResult,
    check_slot,
    max_pdf_bytes,
    request_refusal,
    size_label,
    too_large,
    upload_bytes,
    verify_pdf,
)
from guarantees.views import certificate_dates

RATE_LIMIT = "verify-ip"
STATUS_OF_ERROR = {
    "length_required": 411,
    "too_large": 413,
    "unsupported_type": 415,
    "rate_limited": 429,
    "busy": 503,
}
RETRY_AFTER = {"rate_limited": "60", "busy": str(BUSY_RETRY_SECONDS)}


def rate_limited() -> ServiceError:
    return ServiceError(
        _("確認の回数が上限に達しました。1分ほど時間をおいて再度お試しください。"),
        code="rate_limited",
    )


# --- The page ----------------------------------------------------------------------------------


# Exempt only so that an oversized or unmeasured upload is refused before anything reads its body,
# and so that the body is read through our bounded handler (the CSRF check would parse it first);
# _verify_page is protected as every form is.
@csrf_exempt
@never_cache  # an answer about one file, and the status changes: kept by no cache
def verify_upload(request: HttpRequest) -> HttpResponse:
    """/verify/: choose a certificate PDF, see whether it is genuine and in force."""
    if request.method == "POST":
        refusal = request_refusal(request.META)
        if refusal is not None:
            return _page(request, error=refusal)
    handler = BoundedUploadHandler(request, limit=max_pdf_bytes())
    request.upload_handlers = [handler]
    return _verify_page(request, handler)


@csrf_protect
def _verify_page(request: HttpRequest, handler: BoundedUploadHandler) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    try:
        if not rate_limit_hit(RATE_LIMIT, client_ip(request) or ""):
            raise rate_limited()
        data, content_type = _uploaded_file(request, handler)
        data = upload_bytes(data, content_type=content_type)
        with check_slot():
            result = verify_pdf(data)
    except ServiceError as exc:
        return _page(request, error=exc)
    return _page(request, result=result)


def _uploaded_file(request: HttpRequest, handler: BoundedUploadHandler) -> tuple[bytes | None, str]:
    """(the bytes of the form's `file` or None, its declared content type)."""
    try:
        upload = request.FILES.get("file")
    except MultiPartParserError as exc:
        raise ServiceError(_("送信された内容を読み取れませんでした。"), code="bad_request") from exc
    if handler.exceeded:
        raise too_large()
    if upload is None:
        return None, ""
    return upload.read(), upload.content_type or ""


def _page(
    request: HttpRequest,
    *,
    result: VerificationResult | None = None,
    error: ServiceError | None = None,
) -> HttpResponse:
    context: dict[str, Any] = {
        "result": result,
        "verdicts": Verdict,
        "states": CertificateState,
        "size_limit": size_label(max_pdf_bytes()),
        "receive_url": reverse("obligee_portal:receive"),
    }
    if error is not None:
        context["error"] = error.messages[0]
    if result is not None and result.snapshot:
        context.update(certificate_dates(result.snapshot))
    response = render(
        request,
        "guarantees/verify_upload.html",
        context,
        status=STATUS_OF_ERROR.get(error.code or "", 400) if error else 200,
    )
    response["X-Robots-Tag"] = "noindex"
    if error is not None and error.code in RETRY_AFTER:
        response["Retry-After"] = RETRY_AFTER[error.code]
    return response


# --- The JSON API ------------------------------------------------------------------------------


# A machine API: no cookie or session is used, so there is nothing for a forged request to ride on.
@csrf_exempt
@never_cache
def api_verify(request: HttpRequest) -> JsonResponse:
    """POST /api/verify/: the PDF as multipart field `file`, or as the body (application/pdf)."""
    if request.method != "POST":
        response = _api_error("method_not_allowed", _("POSTで送信してください。"), 405)
        response["Allow"] = "POST"
        return response
    try:
        if not rate_limit_hit(RATE_LIMIT, client_ip(request) or ""):
            raise rate_limited()
        refusal = request_refusal(request.META)
        if refusal is not None:
            raise refusal
        data, content_type = _api_upload(request)
        data = upload_bytes(data, content_type=content_type)
        with check_slot():
            result = verify_pdf(data)
    except ServiceError as exc:
        status = STATUS_OF_ERROR.get(exc.code or "", 400)
        response = _api_error(exc.code, exc.messages[0], status)
        if exc.code in RETRY_AFTER:
            response["Retry-After"] = RETRY_AFTER[exc.code]
        return response
    return JsonResponse(result_json(result))


def _api_upload(request: HttpRequest) -> tuple[bytes | None, str]:
    """(the file's bytes or None, its declared content type) from a multipart form or the body."""
    if request.content_type == "multipart/form-data":
        handler = BoundedUploadHandler(request, limit=max_pdf_bytes())
        request.upload_handlers = [handler]
        return _uploaded_file(request, handler)
    if request.content_type not in PDF_CONTENT_TYPES - {""}:
        raise ServiceError(
            _(
                "保証証書のPDFを、multipart/form-data の file として、または application/pdf の本文として送信してください。"
            ),
            code="unsupported_type",
        )
    # Read from the stream, at most one byte past the limit: request.body would refuse anything
    # above DATA_UPLOAD_MAX_MEMORY_SIZE with an HTML error.
    return request.read(max_pdf_bytes() + 1), request.content_type


def _api_error(code: str | None, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def result_json(result: VerificationResult) -> dict[str, Any]:
    """The API's answer (docs/openapi.yaml, VerifyResult): codes, not labels."""
    check = result.signature
    snapshot = result.snapshot
    return {
        "valid": result.valid,
        "result": result.verdict.value,
        "sha256": result.sha256,
        "signature": {
            "present": check.signed,
            "intact": check.intact,
            "unmodified": check.whole_file,
            "trusted": check.trusted,
            "by_company": check.by_company,
            "signer": check.signer or None,
            "level": check.level or None,
        },
        "timestamp": {
            "valid": check.timestamped,
            "time": check.signed_at.isoformat() if check.signed_at else None,
            "document_timestamps": [at.isoformat() for at in check.document_timestamps],
            "proven_until": check.proven_until.isoformat() if check.proven_until else None,
        },
        "issued_by_us": result.certificate is not None,
        "guarantee_number": snapshot["number"] if snapshot else None,
        "version": result.certificate.version if result.certificate else None,
        "status": result.state.value if result.state else None,
        "superseded_by_version": result.superseded_by,
        "certificate": _printed(snapshot) if snapshot else None,
    }


def _printed(snapshot: dict[str, Any]) -> dict[str, Any]:
    """What the certificate prints, from its snapshot: nothing else."""
    return {
        "title": snapshot["title"],
        "kind": snapshot["kind"],
        "obligee": snapshot["obligee"]["addressee"],
        "contractor": snapshot["contractor"]["name"],
        "works_name": snapshot["works"]["name"],
        "amount": snapshot["amount"],
        "period_start": snapshot["guarantee_period"]["start"] or None,
        "period_end": snapshot["guarantee_period"]["end"] or None,
        "issued_on": snapshot["issued_on"],
        "company": snapshot["company"]["name"],
    }
