from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications import selectors, services
from applications.forms import ApplicationForm, CopyForm
from applications.models import Application
from core.urls import pk_url
from fees.calculation import estimate_for

PAGE_SIZE = 20


def contractor_required(view):
    """Signed-in contractor users only; other personas are sent to their own home."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if request.user.contractor_id is None:
            if request.user.is_staff:
                return redirect("admin:index")
            return render(request, "applications/not_contractor.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


@login_required
def dashboard(request):
    """申込一覧: the home page of a contractor user."""
    user = request.user
    if user.obligee_id is not None:
        return render(request, "applications/obligee_home.html", {"obligee": user.obligee})
    if user.contractor_id is None:
        return contractor_required(dashboard)(request)
    status = request.GET.get("status", "")
    if status not in Application.Status.values:
        status = ""
    query = request.GET.get("q", "").strip()
    page = Paginator(
        selectors.dashboard_applications(user, status=status, query=query), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    page.object_list = selectors.with_guarantees(list(page.object_list))
    detail_url = pk_url("applications:detail")
    for application in page.object_list:
        application.detail_url = detail_url(application.pk)
    return render(
        request,
        "applications/dashboard.html",
        {"page": page, "status": status, "query": query, "statuses": Application.Status.choices},
    )


@contractor_required
def application_new(request):
    return _application_form(request, application=None)


@contractor_required
def application_edit(request, pk: int):
    application = selectors.application_for_user_or_404(request.user, pk)
    if not application.is_editable:
        messages.info(
            request,
            _("この申込は%(status)sのため変更できません。")
            % {"status": application.get_status_display()},
        )
        return redirect("applications:detail", pk=application.pk)
    return _application_form(request, application=application)


def _application_form(request, *, application: Application | None):
    """申込作成: 下書き保存 keeps what was typed; 確認へ進む checks every rule first."""
    today = timezone.localdate()
    if request.method == "POST":
        complete = request.POST.get("action") != "draft"
        form = ApplicationForm(request.POST, today=today, complete=complete)
        if form.is_valid():
            try:
                application = services.application_save(
                    user=request.user,
                    application=application,
                    form_token=form.cleaned_data["form_token"],
                    values=form.application_values(),
                    guarantees=form.guarantee_values(),
                )
            except services.ApplicationStateError as exc:
                # The same form was already sent (back button, second tab): show what was sent.
                saved = selectors.applications_for(request.user).filter(
                    form_token=form.cleaned_data["form_token"]
                )
                messages.warning(request, exc.messages[0])
                if saved.exists():
                    return redirect("applications:detail", pk=saved.get().pk)
                return redirect("applications:dashboard")
            if complete:
                return redirect("applications:confirm", pk=application.pk)
            messages.success(request, _("下書きを保存しました。"))
            return redirect("applications:edit", pk=application.pk)
    elif application is not None:
        form = ApplicationForm(
            initial=ApplicationForm.initial_for(application), today=today, complete=False
        )
    else:
        form = ApplicationForm(
            initial=_new_application_initial(request.user), today=today, complete=False
        )
    return render(
        request,
        "applications/application_form.html",
        {
            "form": form,
            "percentages": form.live_percentages(),
            "application": application,
            "company_messages": application.company_messages.all() if application else [],
            "guarantees": {g.kind: g for g in application.guarantees.all()} if application else {},
        },
    )


def _new_application_initial(user) -> dict:
    return {
        "form_token": ApplicationForm.new_token(),
        "branch": user.contractor.home_branch_id,
        "notify_email": user.email,
        "contact_person": user.full_name,
        "ag_requested": True,
    }


@contractor_required
def application_confirm(request, pk: int):
    """申込確認: the read-only summary, with 修正する and 送信する."""
    application = selectors.application_for_user_or_404(request.user, pk)
    if application.status == Application.Status.SENT:
        return redirect("applications:sent", pk=application.pk)
    if not application.is_editable:
        return redirect("applications:detail", pk=application.pk)
    today = timezone.localdate()
    for guarantee in application.guarantees.all():
        guarantee.fee_estimate = estimate_for(guarantee, application, today)
    return render(
        request,
        "applications/application_confirm.html",
        {"application": application, "errors": services.application_errors(application)},
    )


@require_POST
@contractor_required
def application_submit(request, pk: int):
    application = selectors.application_for_user_or_404(request.user, pk)
    try:
        services.application_submit(application_id=application.pk, user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("applications:confirm", pk=application.pk)
    return redirect("applications:sent", pk=application.pk)


@contractor_required
def application_sent(request, pk: int):
    """送信完了: shows the application number."""
    application = selectors.application_for_user_or_404(request.user, pk)
    if application.status == Application.Status.DRAFT:
        return redirect("applications:edit", pk=application.pk)
    return render(request, "applications/application_sent.html", {"application": application})


@contractor_required
def application_detail(request, pk: int):
    application = selectors.application_for_user_or_404(request.user, pk)
    return render(
        request,
        "applications/application_detail.html",
        {
            "application": application,
            "timeline": selectors.contractor_timeline(application),
            "copy_token": ApplicationForm.new_token(),
        },
    )


@require_POST
@contractor_required
def application_copy(request, pk: int):
    source = selectors.application_for_user_or_404(request.user, pk)
    form = CopyForm(request.POST)
    if not form.is_valid():
        return redirect("applications:detail", pk=source.pk)
    copy = services.application_copy(
        source=source, user=request.user, form_token=form.cleaned_data["form_token"]
    )
    messages.success(
        request, _("申込 %(number)s を複写しました。内容を確認してください。") % {"number": source}
    )
    return redirect("applications:edit", pk=copy.pk)


@require_POST
@contractor_required
def application_withdraw(request, pk: int):
    application = selectors.application_for_user_or_404(request.user, pk)
    try:
        services.application_withdraw(application_id=application.pk, user=request.user)
    except services.ApplicationStateError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("申込 %(number)s を取り下げました。") % {"number": application})
    return redirect("applications:detail", pk=application.pk)


@require_POST
@contractor_required
def application_delete(request, pk: int):
    application = selectors.application_for_user_or_404(request.user, pk)
    try:
        services.application_delete_draft(application_id=application.pk, user=request.user)
    except services.ApplicationStateError as exc:
        messages.error(request, exc.messages[0])
        return redirect("applications:detail", pk=application.pk)
    messages.success(request, _("下書きを削除しました。"))
    return redirect(reverse("applications:dashboard"))
