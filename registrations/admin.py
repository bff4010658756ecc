"""利用申込 in the admin: the branch's staff check and decide the registrations sent to their
branch (head office: every branch's), as they process applications. Only confirmed
registrations are shown: an address nobody confirmed reaches nobody."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Contractor, User
from core.audit import action_label, audit_entries_for
from registrations import services
from registrations.checks import corporate_number_is_valid
from registrations.models import Registration

NEW_COMPANY = "new"


class ApproveForm(forms.Form):
    company = forms.ChoiceField(label=_("請負者"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, companies: list[Contractor], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (
                str(company.pk),
                gettext("登録済みの請負者「%(name)s」(%(address)s)に紐付ける")
                % {"name": company.name, "address": company.address or "-"},
            )
            for company in companies
        ]
        if not companies:
            choices.append((NEW_COMPANY, gettext("申込の内容で請負者を新しく登録する")))
        field = self.fields["company"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
        field.initial = choices[0][0]


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("お断りの理由(申込者にメールでお知らせします)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=services.REASON_MAX_LENGTH,
    )


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = [
        "confirmed_at",
        "company_name",
        "corporate_number",
        "permit_display",
        "branch",
        "applicant_name",
        "status",
        "duplicate_display",
    ]
    list_display_links = ["confirmed_at", "company_name"]
    list_filter = ["status"]
    list_select_related = ["branch"]
    search_fields = ["company_name", "company_kana", "corporate_number", "applicant_email"]
    ordering = ["-confirmed_at", "-pk"]
    change_form_template = "admin/registrations/registration/change_form.html"
    fieldsets = [
        (
            _("会社の情報"),
            {
                "fields": [
                    "company_name",
                    "company_kana",
                    "corporate_number",
                    "corporate_number_check",
                    "permit_display",
                    "address",
                    "representative",
                    "branch",
                ]
            },
        ),
        (
            _("連絡先"),
            {
                "fields": [
                    "applicant_name",
                    "applicant_department",
                    "applicant_phone",
                    "applicant_email",
                ]
            },
        ),
        (_("確認すること"), {"fields": ["duplicates_display", "known_address_display"]}),
        (
            _("状況"),
            {
                "fields": [
                    "status",
                    "created_at",
                    "confirmed_at",
                    "decided_at",
                    "decided_by",
                    "refusal_reason",
                    "contractor",
                    "history_display",
                ]
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Registration]:
        same_number = Registration.objects.waiting().filter(
            corporate_number=OuterRef("corporate_number")
        )
        return (
            services.registrations_for_staff(request.user)  # type: ignore[arg-type]
            .select_related("branch", "decided_by", "contractor")
            .annotate(
                other_registration=Exists(same_number.exclude(pk=OuterRef("pk"))),
                known_company=Exists(
                    Contractor.objects.filter(corporate_number=OuterRef("corporate_number"))
                ),
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [str(name) for _title, options in self.fieldsets for name in options["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # companies apply on the public page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of who applied, and what was decided, stays

    def has_process_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(services.PROCESS)

    # Columns and checks

    @admin.display(description=_("建設業許可番号"))
    def permit_display(self, registration: Registration) -> str:
        return registration.permit_display

    @admin.display(description=_("重複"))
    def duplicate_display(self, registration: Registration) -> str:
        flags = []
        if getattr(registration, "known_company", False):
            flags.append(gettext("登録済みの請負者"))
        if getattr(registration, "other_registration", False):
            flags.append(gettext("審査待ちの申込"))
        return " / ".join(flags) or "-"

    @admin.display(description=_("法人番号の検査用数字"))
    def corporate_number_check(self, registration: Registration) -> str:
        if corporate_number_is_valid(registration.corporate_number):
            return gettext("正しい(法人番号公表サイトで商号・所在地をご確認ください)")
        return gettext("合わない")

    @admin.display(description=_("同じ法人番号"))
    def duplicates_display(self, registration: Registration) -> str:
        found = services.duplicates(registration)
        rows = [
            (
                gettext("登録済みの請負者"),
                reverse("admin:accounts_contractor_change", args=[company.pk]),
                f"{company.name}({company.address or '-'})",
            )
            for company in found["companies"]
        ] + [
            (
                gettext("審査待ちの申込"),
                reverse("admin:registrations_registration_change", args=[other.pk]),
                f"{other.company_name}({other.branch.name}、{other.applicant_email})",
            )
            for other in found["registrations"]
        ]
        if not rows:
            return gettext("なし")
        return format_html_join(mark_safe("<br>"), '<strong>{}</strong>: <a href="{}">{}</a>', rows)

    @admin.display(description=_("申込者のメールアドレス"))
    def known_address_display(self, registration: Registration) -> str:
        user = User.objects.filter(email=registration.applicant_email).first()
        if user is None:
            return gettext("ネットデスクの利用者ではありません")
        return gettext("すでに利用者です(%(who)s)") % {
            "who": user.contractor or user.obligee or gettext("職員")
        }

    @admin.display(description=_("手続の経過"))
    def history_display(self, registration: Registration) -> str:
        entries = audit_entries_for(registration)
        rows = [
            (
                timezone.localtime(entry.created_at).strftime("%Y/%m/%d %H:%M"),
                action_label(entry),
                entry.user or registration.applicant_email,
            )
            for entry in entries
        ]
        if not rows:
            return "-"
        return format_html_join(mark_safe("<br>"), "{} {}({})", rows)

    # The decisions

    def get_urls(self) -> list[Any]:
        def wrap(view: Any) -> Any:
            return self.admin_site.admin_view(view)

        own = [
            path(
                "<int:pk>/approve/",
                wrap(self.approve_view),
                name="registrations_registration_approve",
            ),
            path(
                "<int:pk>/refuse/",
                wrap(self.refuse_view),
                name="registrations_registration_refuse",
            ),
        ]
        return [*own, *super().get_urls()]

    def _registration_or_404(self, request: HttpRequest, pk: int) -> Registration:
        if not self.has_process_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def _back(self, registration: Registration) -> HttpResponse:
        return HttpResponseRedirect(
            reverse("admin:registrations_registration_change", args=[registration.pk])
        )

    def _page(
        self, request: HttpRequest, template: str, registration: Registration, **context: Any
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            f"admin/registrations/registration/{template}",
            {
                **self.admin_site.each_context(request),
                "registration": registration,
                "opts": self.model._meta,
                **context,
            },
        )

    def _refused(self, request: HttpRequest, error: ValidationError) -> None:
        for message in error.messages:
            self.message_user(request, message, messages.ERROR)

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """GET: the company it will be linked to or created; POST: approve and invite."""
        registration = self._registration_or_404(request, pk)
        if registration.status != Registration.Status.WAITING:
            self.message_user(
                request,
                gettext("この利用申込はすでに%(status)sのため、処理できません。")
                % {"status": registration.get_status_display()},
                messages.ERROR,
            )
            return self._back(registration)
        companies = services.duplicates(registration)["companies"]
        form = ApproveForm(request.POST or None, companies=companies)
        if request.method == "POST" and form.is_valid():
            choice = form.cleaned_data["company"]
            try:
                approved = services.registration_approve(
                    registration_id=registration.pk,
                    user=request.user,  # type: ignore[arg-type]
                    contractor_id=None if choice == NEW_COMPANY else int(choice),
                )
            except ValidationError as error:
                self._refused(request, error)
            else:
                self.message_user(
                    request,
                    gettext(
                        "承認しました。%(email)s に、%(company)s の管理者としての招待メールを送りました。"
                    )
                    % {"email": approved.applicant_email, "company": approved.contractor},
                    messages.SUCCESS,
                )
            return self._back(registration)
        return self._page(
            request,
            "approve.html",
            registration,
            form=form,
            title=gettext("利用申込を承認する: %(company)s")
            % {"company": registration.company_name},
        )

    def refuse_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """GET: the reason to write; POST: refuse, the reason e-mailed to the applicant."""
        registration = self._registration_or_404(request, pk)
        if registration.status != Registration.Status.WAITING:
            self.message_user(
                request,
                gettext("この利用申込はすでに%(status)sのため、処理できません。")
                % {"status": registration.get_status_display()},
                messages.ERROR,
            )
            return self._back(registration)
        form = RefuseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.registration_refuse(
                    registration_id=registration.pk,
                    user=request.user,  # type: ignore[arg-type]
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                self._refused(request, error)
            else:
                self.message_user(
                    request,
                    gettext("お断りし、理由を %(email)s にメールでお知らせしました。")
                    % {"email": registration.applicant_email},
                    messages.SUCCESS,
                )
                return self._back(registration)
        return self._page(
            request,
            "refuse.html",
            registration,
            form=form,
            title=gettext("利用申込をお断りする: %(company)s")
            % {"company": registration.company_name},
        )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Registration | None = None,
    ) -> Any:
        context["may_decide"] = (
            obj is not None
            and obj.status == Registration.Status.WAITING
            and self.has_process_permission(request)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)
