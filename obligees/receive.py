"""Receiving without typing (SPEC §7): the handover notice PDFs an obligee user drops on
/obligee/, and the page a phone's camera opens from the notice's QR code
(/obligee/receive/#n=…&k=…).

Each notice is registered exactly as if its number and key had been typed
(guarantees.receiving.certificate_receive): the same checks, limits and audit.
"""

import unicodedata
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts.lockout import client_ip
from core.errors import ServiceError
from guarantees import receiving
from guarantees.rendering import read_key_notice
from obligees.portal import KeyRegistrationForm

# A notice is one page of about 100 KB; twenty is more than a contractor e-mails at once.
MAX_FILES = 20
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NAME_LENGTH = 80


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class NoticesField(forms.Field):
    """The chosen files, as a list; each is judged on its own later (one bad file must not hide
    the results of the others), so only their number is checked here."""

    widget = MultipleFileInput

    def to_python(self, value):
        return [upload for upload in value or [] if upload]

    def validate(self, value):
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


def display_name(name: str | None) -> str:
    """A file name fit to show back: no control characters (NUL bytes and the like), not too long."""
    text = "".join(c for c in name or "" if unicodedata.category(c)[0] != "C").strip()
    if len(text) > MAX_NAME_LENGTH:
        text = text[: MAX_NAME_LENGTH - 1] + "…"
    return text or _("(名前のないファイル)")


def notices_receive(*, user, files, ip: str) -> list[NoticeResult]:
    """Register the certificate of each notice file for the user's obligee, in the order given;
    one result per file."""
    return [
        NoticeResult(display_name(upload.name), *_receive_one(user=user, upload=upload, ip=ip))
        for upload in files
    ]


def _receive_one(*, user, upload, ip: str) -> tuple[str, bool]:
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        return _("ファイルが大きすぎます(2 MB まで)。お知らせの PDF をお選びください。"), False
    content = upload.read(MAX_FILE_BYTES + 1)
    if not content:
        return _("ファイルが空です。"), False
    if len(content) > MAX_FILE_BYTES:
        return _("ファイルが大きすぎます(2 MB まで)。お知らせの PDF をお選びください。"), False
    if not content.startswith(b"%PDF-"):
        return _("PDF ファイルではありません。お知らせの PDF をお選びください。"), False
    pair = read_key_notice(content)
    if pair is None:
        return _(
            "この PDF は「電子保証証書閲覧用『認証キー』等のお知らせ」ではありません。保証契約番号と認証キーを入力して登録してください。"
        ), False
    number, key = pair
    try:
        receipt = receiving.certificate_receive(user=user, number=number, key=key, ip=ip)
    except ServiceError as exc:
        return exc.messages[0], False
    return _("保証証書 %(number)s(第%(version)s版)を受領しました。") % {
        "number": receipt.certificate.guarantee.number,
        "version": receipt.certificate.version,
    }, True


def _obligee_user(request):
    if request.user.obligee_id is None:
        raise PermissionDenied
    return request.user


@login_required
@require_POST
def obligee_receive_notices(request):
    """The notice PDFs chosen or dropped on /obligee/: one message per file, then back there."""
    user = _obligee_user(request)
    form = NoticeUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form.errors["notices"][0])
        return redirect("obligee_home")
    for result in notices_receive(
        user=user, files=form.cleaned_data["notices"], ip=client_ip(request) or ""
    ):
        text = _("%(file)s:%(result)s") % {"file": result.name, "result": result.message}
        if result.received:
            messages.success(request, text)
        else:
            messages.error(request, text)
    return redirect("obligee_home")


@require_safe
def obligee_receive(request):
    """The page the notice's QR code opens. Number and key travel in the address's fragment,
    which the browser never sends: the page's script reads it into the registration form (the
    same one as on /obligee/). A signed-out visitor gets a small page whose script keeps the
    fragment for after sign-in, which would otherwise lose it."""
    if not request.user.is_authenticated:
        login = redirect_to_login(reverse("obligee_receive"))
        return render(request, "obligees/receive_sign_in.html", {"login_url": login["Location"]})
    _obligee_user(request)
    return render(request, "obligees/receive.html", {"form": KeyRegistrationForm()})
