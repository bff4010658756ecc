from typing import Any, cast

from django import forms
from django.contrib.auth import password_validation
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from accounts.forms import normalise_email
from accounts.models import User
from core.text import reject_bidi_controls


class AcceptForm(forms.Form):
    """The invited person's own name and password (Django's password validators)."""

    full_name = forms.CharField(
        label=_("氏名"),
        max_length=100,
        validators=[reject_bidi_controls],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("パスワード"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("パスワード(確認)"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("確認のパスワードが一致しません。"))
        elif first:
            probe = User(email=self.email, full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(first, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class InviteForm(forms.Form):
    # A CharField: a full-width address is folded (clean_email) before it is checked.
    email = forms.CharField(
        label=_("メールアドレス"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(label=_("役割"))
    note = forms.CharField(
        label=_("メッセージ(任意・招待メールに記載)"),
        max_length=200,
        required=False,
        validators=[reject_bidi_controls],
    )

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = roles
        # The least powerful role first: inviting a 管理者 is the choice made on purpose.
        self.fields["role"].initial = roles[-1][0] if roles else None

    def clean_email(self) -> str:
        email = normalise_email(self.cleaned_data["email"])
        validate_email(email)
        return email


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("役割"))

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = roles
