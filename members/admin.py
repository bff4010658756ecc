"""招待 in the admin: head office registers an obligee's (or a company's) first 管理者 by an
invitation, as a 管理者 invites colleagues; nobody types a password for them. Staff accounts are
never made this way (an invitation is always to a contractor or an obligee)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.forms import normalise_email
from accounts.models import User
from core.errors import ServiceError
from members import services
from members.models import Invitation


class InvitationAddForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["obligee", "contractor", "email", "role", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An organisation's first 管理者 is what head office invites, usually.
        self.fields["role"].initial = User.Role.ADMIN
        self.fields["email"].help_text = _(
            "招待メールのリンクから、ご本人がお名前とパスワードを設定します。リンクは一度だけ、7日間有効です。"
        )

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        contractor, obligee = cleaned.get("contractor"), cleaned.get("obligee")
        if (contractor is None) == (obligee is None):
            raise forms.ValidationError(_("発注者か請負者のどちらか一方を選んでください。"))
        organisation = contractor or obligee
        assert organisation is not None  # exactly one of them, checked above
        role, email = cleaned.get("role"), cleaned.get("email")
        offered = [value for value, _label in services.roles_of(organisation)]
        if role and role not in offered:
            self.add_error("role", _("この組織で選べる役割ではありません。"))
        if email and services.people_of(organisation).filter(email=email, is_active=True).exists():
            self.add_error("email", _("すでにこの組織の利用者です。"))
        elif email and Invitation.objects.of(organisation).pending().filter(email=email).exists():
            self.add_error(
                "email", _("有効な招待があります。一覧の操作「再送信」をご利用ください。")
            )
        return cleaned

    def _post_clean(self) -> None:
        # The model's constraints are checked by the service, which makes the row itself.
        pass


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation_name", "role", "status_label", "sent_at", "expires_at"]
    list_select_related = ["contractor", "obligee"]
    list_filter = ["role"]
    search_fields = ["email", "contractor__name", "obligee__name"]
    autocomplete_fields = ["obligee", "contractor"]
    actions = ["resend", "revoke"]
    readonly_fields = [
        "email",
        "role",
        "contractor",
        "obligee",
        "note",
        "invited_by",
        "created_at",
        "sent_at",
        "sent_count",
        "expires_at",
        "used_at",
        "user",
        "revoked_at",
    ]

    def get_form(
        self,
        request: HttpRequest,
        obj: Invitation | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        if obj is None:
            kwargs["form"] = InvitationAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Invitation | None = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Invitation | None = None) -> Any:
        if obj is None:
            return InvitationAddForm.Meta.fields
        return self.readonly_fields

    @admin.display(description=_("組織"))
    def organisation_name(self, invitation: Invitation) -> str:
        return str(invitation.organisation)

    @admin.display(description=_("状態"))
    def status_label(self, invitation: Invitation) -> str:
        return invitation.get_status_display()

    def save_model(
        self, request: HttpRequest, obj: Invitation, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            return  # nothing of an invitation is edited; re-send and revoke are actions
        data = form.cleaned_data
        made = services.invite(
            email=data["email"],
            role=data["role"],
            contractor=data.get("contractor"),
            obligee=data.get("obligee"),
            invited_by=request.user,  # type: ignore[arg-type]
            note=data.get("note", ""),
        )
        obj.pk = made.pk
        obj.token_digest = made.token_digest
        obj.expires_at = made.expires_at

    def has_delete_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return False  # the history of who was invited stays; revoke ends a link

    @admin.action(description=_("選択した招待を再送信する(新しいリンク)"), permissions=["change"])
    def resend(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        self._each(request, queryset, services.invitation_resend, _("再送信しました"))

    @admin.action(description=_("選択した招待を取り消す"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        self._each(request, queryset, services.invitation_revoke, _("取り消しました"))

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Invitation], action: Any, done: Any
    ) -> None:
        for invitation in queryset.select_related("contractor", "obligee"):
            try:
                action(
                    invitation_id=invitation.pk,
                    organisation=invitation.organisation,
                    user=request.user,
                )
            except ServiceError as error:
                self.message_user(
                    request, f"{invitation.email}: {error.messages[0]}", messages.ERROR
                )
            else:
                self.message_user(request, f"{invitation.email}: {done}", messages.SUCCESS)
