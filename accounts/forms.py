from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class EmailAuthenticationForm(AuthenticationForm):
    """Sign-in with an e-mail address; addresses are stored lower-case."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "メールアドレスまたはパスワードが正しくありません。どちらも大文字と小文字を区別します。"
        ),
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()
