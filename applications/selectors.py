"""Reads for the contractor side: what a contractor user may see of applications."""

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from core.audit import audit_entries_for
from guarantees.models import Guarantee

# Audit actions the contractor sees on its timeline, with their Japanese wording. Staff-internal
# entries (notes, views) are not listed and so never shown.
TIMELINE_LABELS = {
    "application.created": _("申込を作成しました"),
    "application.sent": _("申込を送信しました"),
    "application.resent": _("修正した申込を再送信しました"),
    "application.withdrawn": _("申込を取り下げました"),
    "application.accepted": _("営業部・支店が申込を受け付けました"),
    "application.returned": _("営業部・支店から差戻しがありました"),
    "guarantee.approved": _("保証を承諾しました"),
    "guarantee.issued": _("保証証書を発行しました"),
}


def applications_for(user) -> QuerySet[Application]:
    """Every application `user` may see: those of the user's own company, nothing else."""
    if user.contractor_id is None:
        return Application.objects.none()
    return Application.objects.filter(contractor_id=user.contractor_id)


def application_for_user_or_404(user, pk: int) -> Application:
    """The application `pk` if it belongs to the user's company; 404 otherwise (never 403, so
    that another company's numbering cannot be probed)."""
    return get_object_or_404(
        applications_for(user)
        .select_related("obligee", "branch", "contractor")
        .prefetch_related("guarantees", "company_messages"),
        pk=pk,
    )


def dashboard_applications(user, *, status: str = "", query: str = "") -> QuerySet[Application]:
    queryset = (
        applications_for(user)
        .select_related("obligee", "branch")
        .prefetch_related(Prefetch("guarantees", queryset=Guarantee.objects.order_by("kind")))
        .order_by("-updated_at", "-id")
    )
    if status:
        queryset = queryset.filter(status=status)
    if query:
        queryset = queryset.filter(
            Q(number__icontains=query)
            | Q(works_name__icontains=query)
            | Q(obligee__name__icontains=query)
            | Q(guarantees__number__icontains=query)
        ).distinct()
    return queryset


def contractor_timeline(application: Application) -> list[dict]:
    return [
        {"at": entry.created_at, "label": TIMELINE_LABELS[entry.action], "user": entry.user}
        for entry in audit_entries_for(application)
        if entry.action in TIMELINE_LABELS
    ]
