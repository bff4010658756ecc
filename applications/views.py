import datetime
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts.decorators import contractor_required
from accounts.http import AuthenticatedHttpRequest, is_signed_in
from accounts.models import User
from accounts.roles import can_apply, role_required
from applications import rules, selectors, services
from applications.forms import ApplicationForm
from applications.models import Application
from core.errors import StateError
from core.paginator import CappedCountPaginator
from core.templatetags.netdesk import choice_labels, yen, ymd
from core.urls import pk_url
from fees.calculation import estimate_for
from guarantees.models import Guarantee
from guarantees.selectors import with_certificates

if TYPE_CHECKING:
    from applications.selectors import ShownGuarantee

PAGE_SIZE = 20


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """申込一覧: the home page of a contractor user."""
    user = request.user
    if user.obligee_id is not None:
        return redirect("obligee_portal:home")
    if user.contractor_id is None:
        return contractor_required(dashboard)(request)
    status = request.GET.get("status", "")
    if status not in Application.Status.values:
        status = ""
    query = request.GET.get("q", "").strip()
    page = CappedCountPaginator(
        selectors.dashboard_applications(user, status=status, query=query), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    # The page's slice of the queryset paged.
    rows = selectors.dashboard_rows(cast(QuerySet[Application], page.object_list))
    page.object_list = _dashboard_texts(rows)
    return render(
        request,
        "applications/dashboard.html",
        {"page": page, "status": status, "query": query, "statuses": Application.Status.choices},
    )


def _dashboard_texts(applications: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each cell of 申込一覧 shows, as text. Labels, formats and the row link are looked
    up once per page, so that a row costs the template only the lookup of its texts: per-row
    filters and model attributes were most of the page's time."""
    detail_url = pk_url("applications:detail")
    statuses = choice_labels(Application, "status")
    kinds = choice_labels(Guarantee, "kind")
    guarantee_statuses = choice_labels(Guarantee, "status")
    no_works_name = _("(工事名未入力)")
    # The page's time zone looked up once (timezone.localtime() looks it up for each value).
    zone = timezone.get_current_timezone()
    certificate_texts = _certificate_texts(zone)
    return [
        {
            "url": detail_url(application["id"]),
            # A draft has no number yet: its creation time tells it from the others.
            "number": application["number"]
            or _("(未送信) %(created)s作成")
            % {
                "created": dateformat.format(
                    timezone.localtime(application["created_at"]), "Y/m/d H:i"
                )
            },
            "status": statuses.get(application["status"], application["status"]),
            "status_value": application["status"],  # the badge's colour
            # A returned application shows what the branch asked for, right in the list.
            "return_message": Truncator(application["latest_message"]).chars(60)
            if application["status"] == Application.Status.RETURNED
            and application["latest_message"]
            else "",
            "obligee": application["obligee__name"] or "-",
            "works_name": application["works_name"] or no_works_name,
            "amount": yen(_stated_contract_amount(application)) or "-",
            "guarantees": [
                {
                    "kind": kinds.get(guarantee["kind"], guarantee["kind"]),
                    "amount": yen(guarantee["amount"]),
                    "number": guarantee["number"],
                    # No badge while the guarantee is only requested (申込中).
                    "status": ""
                    if guarantee["status"] == Guarantee.Status.REQUESTED
                    else guarantee_statuses.get(guarantee["status"], guarantee["status"]),
                    "status_value": guarantee["status"],
                    "certificate": certificate_texts(guarantee),
                }
                for guarantee in application["guarantees"]
            ],
            "updated": ymd(application["updated_at"].astimezone(zone)),
        }
        for application in applications
    ]


def _stated_contract_amount(application: dict[str, Any]) -> int | None:
    """The 請負金額 of a 申込一覧 row: after an amendment, the one its newest amended certificate
    states (as on the detail page), so that it never stands beside an amended guarantee amount
    measured against another; the amount sent otherwise."""
    amended = [
        guarantee
        for guarantee in application["guarantees"]
        if (guarantee["certificate_version"] or 0) > 1
        and guarantee["certificate_contract_amount"] is not None
    ]
    if not amended:
        return application["contract_amount"]
    newest = max(amended, key=lambda guarantee: guarantee["certificate_issued_at"])
    return newest["certificate_contract_amount"]


def _certificate_texts(
    zone: datetime.tzinfo,
) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """A guarantee's current certificate on 申込一覧: 第N版 and its issue date, the PDF and key
    links (electronic), or that the paper certificate is being prepared; 発注者受領済 once the
    obligee received it, and until then, for an amended version, that the obligee needs its key
    (the earlier key no longer registers). None without a certificate."""
    pdf_url, key_url = pk_url("guarantees:certificate_pdf"), pk_url("guarantees:certificate_key")

    def texts(guarantee: dict[str, Any]) -> dict[str, Any] | None:
        pk = guarantee["certificate_pk"]
        if pk is None:
            return None
        electronic = guarantee["certificate_format"] == Guarantee.Format.ELECTRONIC
        in_force = guarantee["status"] in Guarantee.IN_FORCE
        received_at = guarantee["certificate_received_at"]
        version = guarantee["certificate_version"]
        return {
            "version": version,
            "issued": ymd(guarantee["certificate_issued_at"].astimezone(zone)),
            "pdf_url": pdf_url(pk) if electronic else "",
            "key_url": key_url(pk) if electronic and in_force else "",
            "preparing": not electronic and guarantee["certificate_handed_over_at"] is None,
            "received": ymd(received_at.astimezone(zone)) if received_at else "",
            "handover_text": key_handover_text(version)
            if electronic and in_force and received_at is None and version > 1
            else "",
        }

    return texts


def key_handover_text(version: int) -> str:
    """What the contractor is asked to do with an amended version's key until it is received."""
    return _("第%(version)s版の認証キーをお渡しください") % {"version": version}


@never_cache
@contractor_required
@role_required(can_apply)
def application_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _application_form(request, application=None)


@never_cache
@contractor_required
@role_required(can_apply)
def application_copy(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """複写して新規作成: a new application's form filled in from an earlier one of the company.
    Nothing is saved until the user saves; the draft then records where it was copied from."""
    source = selectors.application_for_user_or_404(request.user, pk)
    return _application_form(request, application=None, source=source)


@never_cache
@contractor_required
@role_required(can_apply)
def application_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_for_user_or_404(request.user, pk)
    if not application.is_editable:
        messages.info(
            request,
            _("この申込は%(status)sのため変更できません。")
            % {"status": application.get_status_display()},
        )
        return redirect("applications:detail", pk=application.pk)
    return _application_form(request, application=application)


def _application_form(
    request: AuthenticatedHttpRequest,
    *,
    application: Application | None,
    source: Application | None = None,
) -> HttpResponse:
    """申込作成: 下書き保存 keeps what was typed; 確認へ進む checks every rule first.

    The pages are never stored (no-store): the back button asks the server again, which then
    shows an application that was sent since as sent, not as a form still to send.
    """
    today = timezone.localdate()
    action = request.POST.get("action") if request.method == "POST" else None
    switched = None
    saved_partly: list[str] = []
    if action == "language":
        # The header's language switch on this page (application_form.js posts the form here):
        # the same values again in the chosen language, nothing saved.
        switched = _switch_language(request)
        form = ApplicationForm(initial=_typed_values(request), today=today, complete=False)
    elif request.method == "POST":
        complete = action != "draft"
        form = ApplicationForm(request.POST, today=today, complete=complete)
        valid = form.is_valid()
        # 下書き保存 saves what did read, even mid-way; what did not stays in the form as typed.
        if valid or (not complete and form.draft_savable):
            try:
                application = services.application_save(
                    user=request.user,
                    application=application,
                    form_token=form.cleaned_data["form_token"],
                    values=form.application_values(),
                    guarantees=form.guarantee_values(),
                    copied_from=source,
                )
            except StateError as exc:
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
            if valid:
                messages.success(request, _("下書きを保存しました。"))
                return redirect("applications:edit", pk=application.pk)
            # Shown again as posted (not redirected): the values that did not read are only here.
            # The form's token finds this draft on the next save, from this address too.
            saved_partly = form.unsaved_labels()
    elif application is not None:
        form = ApplicationForm(
            initial=ApplicationForm.initial_for(application), today=today, complete=False
        )
    elif source is not None:
        initial = ApplicationForm.initial_for(source)
        initial["form_token"] = ApplicationForm.new_token()
        form = ApplicationForm(initial=initial, today=today, complete=False)
    else:
        form = ApplicationForm(
            initial=_new_application_initial(request.user), today=today, complete=False
        )
    company_messages = list(application.company_messages.all()) if application else []
    response = render(
        request,
        "applications/application_form.html",
        {
            "form": form,
            "percentages": form.live_percentages(),
            "application": application,
            "source": source,
            # 下書き保存 refused for what was typed: the page says the draft was not saved.
            "draft_refused": action == "draft" and form.errors and not saved_partly,
            # 下書き保存 saved all but these fields.
            "saved_partly": saved_partly,
            "company_messages": company_messages,
            "latest_message": company_messages[-1] if company_messages else None,
            "guarantees": {g.kind: g for g in application.guarantees.all()} if application else {},
        },
    )
    if switched is not None:
        response.cookies.update(switched.cookies)
    return response


def _switch_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the cookie, checked and set as the header's switch does), and the
    chosen language for this response already. Returns set_language's response for its cookie."""
    switched = set_language(request)
    chosen = switched.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen is not None:
        translation.activate(chosen.value)
        request.LANGUAGE_CODE = chosen.value
    return switched


def _typed_values(request: HttpRequest) -> dict[str, Any]:
    """What the user had typed into the form, as the form's initial values."""
    return {
        name: field.widget.value_from_datadict(request.POST, request.FILES, name)
        for name, field in ApplicationForm.base_fields.items()
    }


def _new_application_initial(user: User) -> dict[str, Any]:
    contractor = user.contractor
    assert contractor is not None  # the form's pages are contractor_required
    return {
        "form_token": ApplicationForm.new_token(),
        "branch": contractor.home_branch_id,
        "notify_email": user.email,
        "contact_person": user.full_name,
        "ag_requested": True,
    }


@never_cache
@contractor_required
@role_required(can_apply)
def application_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """申込確認: the read-only summary, with 修正する and 送信する."""
    application = selectors.application_for_user_or_404(request.user, pk)
    if application.status == Application.Status.SENT:
        # Reached again after sending (the back button, an old tab): say so.
        messages.info(request, _("この申込はすでに送信されています。"))
        return redirect("applications:sent", pk=application.pk)
    if not application.is_editable:
        return redirect("applications:detail", pk=application.pk)
    today = timezone.localdate()
    for guarantee in cast("Iterable[ShownGuarantee]", application.guarantees.all()):
        guarantee.fee_estimate = estimate_for(guarantee, application, today)
    return render(
        request,
        "applications/application_confirm.html",
        {"application": application, "errors": services.application_errors(application)},
    )


@contractor_required
def application_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """申込控え: every field of the application as sent (or as it stands, before sending), its
    number, send time and the kinds requested, on a page made for printing."""
    application = selectors.application_for_user_or_404(request.user, pk)
    return render(
        request,
        "applications/application_print.html",
        {"application": application, "printed_at": timezone.localtime()},
    )


@require_POST
@contractor_required
@role_required(can_apply)
def application_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_for_user_or_404(request.user, pk)
    if application.status == Application.Status.SENT:
        messages.info(request, _("この申込はすでに送信されています。"))
    try:
        services.application_submit(application_id=application.pk, user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("applications:confirm", pk=application.pk)
    return redirect("applications:sent", pk=application.pk)


@contractor_required
def application_sent(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """送信完了: shows the application number."""
    application = selectors.application_for_user_or_404(request.user, pk)
    if application.status == Application.Status.DRAFT:
        return redirect("applications:edit", pk=application.pk)
    return render(request, "applications/application_sent.html", {"application": application})


@contractor_required
def application_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_for_user_or_404(request.user, pk)
    company_messages = list(application.company_messages.all())
    guarantees = application.guarantees.all()
    today = timezone.localdate()
    with_certificates(guarantees, today=today)
    issued = [
        g for g in cast("Iterable[ShownGuarantee]", guarantees) if g.current_certificate is not None
    ]
    selectors.with_certificate_history(issued, today=today)
    return render(
        request,
        "applications/application_detail.html",
        {
            # After an amendment, what the certificates now state (請負金額, 工期 …).
            "application": selectors.application_as_stated(application, issued),
            "issued": issued,
            "timeline": selectors.contractor_timeline(application),
            "company_messages": company_messages,
            "latest_message": company_messages[-1] if company_messages else None,
        },
    )


@require_POST
@contractor_required
@role_required(can_apply)
def application_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_for_user_or_404(request.user, pk)
    try:
        services.application_withdraw(application_id=application.pk, user=request.user)
    except StateError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("申込 %(number)s を取り下げました。") % {"number": application})
    return redirect("applications:detail", pk=application.pk)


@require_POST
@contractor_required
@role_required(can_apply)
def application_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_for_user_or_404(request.user, pk)
    try:
        services.application_delete_draft(application_id=application.pk, user=request.user)
    except StateError as exc:
        messages.error(request, exc.messages[0])
        return redirect("applications:detail", pk=application.pk)
    messages.success(request, _("下書きを削除しました。"))
    return redirect(reverse("applications:dashboard"))


def help_page(request: HttpRequest) -> HttpResponse:
    """保証申込のヘルプ: what the form asks and why, its rules, 電子保証 and 認証キー, whom to ask.
    Public, like the list of obligees it points to."""
    contractor = request.user.contractor if is_signed_in(request) else None
    return render(
        request,
        "applications/help.html",
        {
            "advance_caps": {
                label: rules.ADVANCE_CAP[value] * 10
                for value, label in Application.ContractType.choices
            },
            "contract_min": rules.CONTRACT_GUARANTEE_MIN * 10,
            "home_branch": contractor.home_branch if contractor is not None else None,
            "branches": selectors.branches_to_ask(),
        },
    )


def help_obligee(request: HttpRequest) -> HttpResponse:
    """発注者向けのヘルプ: receiving an electronic certificate (number and key typed, the notice
    PDF dropped, or its QR code scanned), how a key is written, an amendment's new key, checking
    a PDF, and whom to ask. Public: a clerk reads it before an account exists."""
    return render(
        request, "applications/help_obligee.html", {"branches": selectors.branches_to_ask()}
    )
