"""電子保証の受領 (SPEC §7): the guarantee number and key typed (on /obligee/ and on
/obligee/receive/), the handover notice PDFs an obligee user drops there, and the page a phone's
camera opens from the notice's QR code (/obligee/receive/#n=…&k=…).

Each pair, however it arrived, is received by obligee_portal.receipts.pair_receive: the same checks,
limits and audit (guarantees.receiving), and a pair the obligee has already received answered
with when it was received.
"""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest, is_signed_in
from accounts.lockout import client_ip
from accounts.models import User
from core.errors import ServiceError
from core.forms import input_texts
from guarantees import receiving
from guarantees.rendering import read_key_notice
from obligee_portal.receipts import pair_receive
from obligee_portal.rules import receives_electronic

# A notice is one page of about 100 KB; twenty is more than a contractor e-mails at once.
MAX_FILES = 20
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NAME_LENGTH = 80


class KeyRegistrationForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("保証契約番号"),
        max_length=receiving.MAX_NUMBER_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "GM-2026-000123"}),
    )
    key = forms.CharField(
        label=gettext_lazy("認証キー"),
        max_length=60,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "XXXX-XXXX-XXXX-XXXX-X",
            }
        ),
    )


def typed_receiving(
    request: AuthenticatedHttpRequest,
) -> tuple[HttpResponse | None, KeyRegistrationForm, int]:
    """The typed pair of a page with the receiving form: for a POST, a redirect to the received
    list saying what happened, or the refusal added to the form; the form, and the status to
    answer it with."""
    form = KeyRegistrationForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return None, form, 200
    try:
        outcome = pair_receive(
            user=request.user,
            number=form.cleaned_data["number"],
            key=form.cleaned_data["key"],
            ip=client_ip(request) or "",
        )
    except ServiceError as exc:
        form.add_error(None, exc.messages[0])
        return None, form, 429 if exc.code == "rate_limited" else 200
    messages.add_message(request, outcome.level, outcome.message)
    return redirect("obligee_portal:home"), form, 200


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class NoticesField(forms.Field):
    """The chosen files, as a list; each is judged on its own later (one bad file must not hide
    the results of the others), so only their number is checked here."""

    widget = MultipleFileInput

    def to_python(self, value: Any) -> list[UploadedFile]:
        return [upload for upload in value or [] if upload]

    def validate(self, value: list[UploadedFile]) -> None:
        if not value:
            raise forms.ValidationError(
                gettext_lazy("お知らせの PDF ファイルを選んでください。"), code="required"
            )
        if len(value) > MAX_FILES:
            raise forms.ValidationError(
                gettext_lazy(
                    "一度に読み取れるのは %(limit)s ファイルまでです。分けてお送りください。"
                ),
                code="too_many",
                params={"limit": MAX_FILES},
            )


class NoticeUploadForm(forms.Form):
    notices = NoticesField(label=gettext_lazy("お知らせの PDF"), required=False)


@dataclass(frozen=True)
class NoticeResult:
    name: str
    message: str
    received: bool = False
    already: bool = False

    @property
    def level(self) -> int:
        if not self.received:
            return messages.ERROR
        return messages.INFO if self.already else messages.SUCCESS


def display_name(name: str | None) -> str:
    """A file name fit to show back: no control characters (NUL bytes and the like), not too long."""
    text = "".join(c for c in name or "" if unicodedata.category(c)[0] != "C").strip()
    if len(text) > MAX_NAME_LENGTH:
        text = text[: MAX_NAME_LENGTH - 1] + "…"
    return text or _("(名前のないファイル)")


def notices_receive(*, user: User, files: Sequence[UploadedFile], ip: str) -> list[NoticeResult]:
    """Register the certificate of each notice file for the user's obligee, in the order given;
    one result per file."""
    return [_receive_one(user=user, upload=upload, ip=ip) for upload in files]


def _receive_one(*, user: User, upload: UploadedFile, ip: str) -> NoticeResult:
    name = display_name(upload.name)
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        return NoticeResult(
            name, _("ファイルが大きすぎます(2 MB まで)。お知らせの PDF をお選びください。")
        )
    content = upload.read(MAX_FILE_BYTES + 1)
    if not content:
        return NoticeResult(name, _("ファイルが空です。"))
    if len(content) > MAX_FILE_BYTES:
        return NoticeResult(
            name, _("ファイルが大きすぎます(2 MB まで)。お知らせの PDF をお選びください。")
        )
    if not content.startswith(b"%PDF-"):
        return NoticeResult(
            name, _("PDF ファイルではありません。お知らせの PDF をお選びください。")
        )
    pair = read_key_notice(content)
    if pair is None:
        return NoticeResult(
            name,
            _(
                "この PDF は「電子保証証書閲覧用『認証キー』等のお知らせ」ではありません。保証契約番号と認証キーを入力して「受領する」を押してください。"
            ),
        )
    number, key = pair
    try:
        outcome = pair_receive(user=user, number=number, key=key, ip=ip)
    except ServiceError as exc:
        return NoticeResult(name, exc.messages[0])
    return NoticeResult(name, outcome.message, received=True, already=outcome.already)


def _obligee_user(request: AuthenticatedHttpRequest) -> User:
    if request.user.obligee_id is None:
        raise PermissionDenied
    return request.user


@login_required
@require_POST
def obligee_receive_notices(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The notice PDFs chosen or dropped on /obligee/: one message per file, then back there."""
    user = _obligee_user(request)
    form = NoticeUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, str(form.errors["notices"][0]))
        return redirect("obligee_portal:home")
    for result in notices_receive(
        user=user, files=form.cleaned_data["notices"], ip=client_ip(request) or ""
    ):
        text = _("%(file)s:%(result)s") % {"file": result.name, "result": result.message}
        messages.add_message(request, result.level, text)
    return redirect("obligee_portal:home")


@require_http_methods(["GET", "HEAD", "POST"])
def obligee_receive(request: HttpRequest) -> HttpResponse:
    """電子保証の受領, the page the handover notice names and its QR code opens: the number and key
    typed, or notice PDFs dropped. From the QR code, number and key travel in the address's
    fragment, which the browser never sends: the page's script reads it into the form. A
    signed-out visitor gets a small page whose script keeps the fragment for after sign-in,
    which would otherwise lose it."""
    if not is_signed_in(request):
        login = redirect_to_login(reverse("obligee_portal:receive"))
        if request.method == "POST":  # a form left open past the end of the session
            return login
        return render(
            request, "obligee_portal/receive_sign_in.html", {"login_url": login["Location"]}
        )
    user = _obligee_user(request)
    response, form, status = typed_receiving(request)
    if response is not None:
        return response
    return render(
        request, "obligee_portal/receive.html", receiving_context(user, form), status=status
    )


def receiving_context(user: User, form: KeyRegistrationForm) -> dict[str, Any]:
    """What a page with the receiving forms shows of them: none, and why, for an obligee that
    is registered for no e-guarantee (obligee_portal.rules.receives_electronic)."""
    obligee = user.obligee
    if obligee is None:  # the pages of obligee users only
        raise PermissionDenied
    return {
        "obligee": obligee,
        "receives": receives_electronic(obligee, timezone.localdate()),
        "form": form,
        "form_inputs": input_texts(form),
    }
