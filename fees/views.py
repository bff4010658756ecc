from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.templatetags.netdesk import yen
from fees.calculation import FeeError, approval_fee
from fees.display import breakdown_lines
from fees.forms import EstimateForm


@require_GET
@never_cache
@login_required
def estimate(request: HttpRequest) -> JsonResponse:
    """保証料(概算): the fee the application form's amount and dates would get if approved today.

    For contractor users filling in an application; the branch fixes the real fee on approval.
    """
    if getattr(request.user, "contractor_id", None) is None:
        return JsonResponse({"error": _("この機能は請負者の方専用です。")}, status=403)
    form = EstimateForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"error": form.first_error()}, status=400)
    today = timezone.localdate()
    if form.cleaned_data["period_end"] < today:
        return JsonResponse(
            {"error": _("工期(至)が過ぎているため、概算を表示できません。")}, status=400
        )
    try:
        breakdown = approval_fee(
            kind=form.cleaned_data["kind"],
            amount=form.cleaned_data["amount"],
            contract_date=form.cleaned_data["contract_date"],
            period_end=form.cleaned_data["period_end"],
            approved_on=today,
        )
    except FeeError as exc:
        return JsonResponse({"error": str(exc.message)}, status=400)
    return JsonResponse(
        {
            "fee": breakdown.fee,
            "fee_display": yen(breakdown.fee),
            "lines": breakdown_lines(breakdown.as_json()),
            "estimate": True,
        }
    )
