from django import forms
from django.utils.translation import gettext_lazy as _


class KeyRevealForm(forms.Form):
    """The password asked again before an authentication key is shown."""

    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        error_messages={"required": _("パスワードを入力してください。")},
    )
