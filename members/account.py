"""アカウント設定: each contractor or obligee user's own account — the password, the e-mail
address (confirmed by a link sent to the new address) and, in members.second_factor, the second
factor.

Every change is recorded on the user's organisation (core.audit.log_action), so that its
管理者 sees it on the timeline beside the membership steps.
"""

import datetime
import hashlib
import secrets
from functools import wraps
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.forms import normalise_email
from accounts.http import AuthenticatedHttpRequest, View
from accounts.lockout import client_ip
from accounts.models import EmailChange, User
from accounts.roles import role_refused
from accounts.second_factor import has_second_factor
from core.audit import log_action
from core.errors import ServiceError, StateError
from core.ratelimit import rate_limit_hit
from notifications.services import absolute_url, message_enqueue

EMAIL_CHANGE_VALIDITY = datetime.timedelta(hours=24)
# Longer than any token we make (43 characters): what is longer is not looked up at all.
TOKEN_MAX_LENGTH = 100
EMAIL_CHANGE_SESSION_KEY = "_account_email_change_token"


def audit(user: User, action: str, **data: Any) -> None:
    """Record `action` by `user` on their organisation (nothing for staff, who have none)."""
    organisation = user.contractor or user.obligee
    if organisation is not None:
        log_action(organisation, action, user=user, data={"email": user.email, **data})


def throttled_message() -> str:
    return _(
        "操作が短い間に続いたため、しばらく受け付けを停止しています。時間をおいて再度お試しください。"
    )


def portal_user_required(view: View) -> View:
    """Contractor and obligee users: staff keep their accounts in the admin (superusers manage
    them), anyone else signs in first."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = cast(User, request.user)
        if user.is_staff:
            return redirect("admin:index")
        if user.contractor_id is None and user.obligee_id is None:
            return role_refused(request)
        return view(request, *args, **kwargs)

    return cast(View, wrapper)


# --- E-mail address ---------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def email_change_request(*, user: User, new_email: str) -> None:
    """Ask to change `user`'s address to `new_email`: a single-use link valid for 24 hours goes
    to the new address, and the current one is told (without the link).

    An address that already belongs to an account gets no link and no error: the person asking
    is answered the same, so that the page tells nobody which addresses have accounts."""
    new_email = normalise_email(new_email)
    now = timezone.now()
    with transaction.atomic():
        # Only the latest request's link works.
        EmailChange.objects.filter(user=user, used_at=None, expires_at__gt=now).update(
            expires_at=now
        )
        audit(user, "account.email_change_requested", new_email=new_email)
        message_enqueue(
            template="email_change_notice",
            recipient=user.email,
            context={"name": str(user), "new_email": new_email, "requested_at": now},
            dedup_key=f"email_change_notice:{user.pk}:{secrets.token_hex(8)}",
        )
        if User.objects.filter(email=new_email).exists():
            return
        token = secrets.token_urlsafe(32)
        change = EmailChange.objects.create(
            user=user,
            old_email=user.email,
            new_email=new_email,
            token_digest=_digest(token),
            expires_at=now + EMAIL_CHANGE_VALIDITY,
        )
        message_enqueue(
            template="email_change_confirm",
            recipient=new_email,
            context={
                "name": str(user),
                "new_email": new_email,
                "link": absolute_url(reverse("account:email_confirm_link", args=[token])),
                "expires_at": timezone.localtime(change.expires_at),
            },
            dedup_key=f"email_change_confirm:{change.pk}",
        )


def email_change_for_token(token: str) -> EmailChange | None:
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return EmailChange.objects.filter(token_digest=_digest(token)).select_related("user").first()


def email_change_refusal(change: EmailChange | None) -> str:
    """Why the link cannot be used, in words for the person holding it; "" if it can."""
    if change is None:
        return _(
            "このリンクは無効です。メールのリンクを最後まで開いているか、最新のメールのリンクかをご確認ください。"
        )
    if change.used_at is not None:
        return _("このリンクはすでに使用されています。メールアドレスの変更は完了しています。")
    if change.expires_at <= timezone.now():
        return _(
            "このリンクは有効期限を過ぎています。アカウント設定から、もう一度変更の手続きをしてください。"
        )
    if not change.user.is_active or change.user.email != change.old_email:
        return _("このリンクは無効です。アカウント設定から、もう一度変更の手続きをしてください。")
    return ""


def email_change_confirm(*, token: str) -> User:
    """Change the address: the link is claimed by one conditional UPDATE (unused, unexpired),
    so of parallel confirmations exactly one changes it."""
    digest = _digest(token) if token and len(token) <= TOKEN_MAX_LENGTH else ""
    with transaction.atomic():
        now = timezone.now()
        claimed = EmailChange.objects.filter(
            token_digest=digest, used_at=None, expires_at__gt=now
        ).update(used_at=now)
        change = email_change_for_token(token) if digest else None
        if not claimed or change is None:
            raise StateError(email_change_refusal(change), code="link")
        user = User.objects.select_for_update().get(pk=change.user_id)
        if not user.is_active or user.email != change.old_email:
            raise StateError(email_change_refusal(change), code="link")
        user.email = change.new_email
        try:
            with transaction.atomic():
                user.save(update_fields=["email"])
        except IntegrityError as exc:  # taken by another account since the request
            raise StateError(
                _(
                    "このメールアドレスは使用できません。アカウント設定から、別のアドレスで手続きをしてください。"
                ),
                code="taken",
            ) from exc
        EmailChange.objects.filter(user=user, used_at=None).update(expires_at=now)
        audit(user, "account.email_changed", previous=change.old_email)
    return user


class EmailChangeForm(forms.Form):
    # Read as text first: full-width input (a Japanese IME) is folded before it is validated.
    new_email = forms.CharField(
        label=gettext_lazy("新しいメールアドレス"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=gettext_lazy("現在のパスワード"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_new_email(self) -> str:
        email = normalise_email(self.cleaned_data["new_email"])
        EmailValidator()(email)
        if email == self.user.email:
            raise forms.ValidationError(_("現在のメールアドレスと同じです。"), code="same")
        return email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("パスワードが正しくありません。"), code="password")
        return password


# --- Views ------------------------------------------------------------------------------------


@portal_user_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """アカウント設定: the user's address, password, second factor (and, for a 管理者, whether
    the organisation requires one)."""
    from members.second_factor import backup_codes_left

    user = request.user
    organisation = user.contractor or user.obligee
    return render(
        request,
        "account/home.html",
        {
            "organisation": organisation,
            "second_factor": has_second_factor(user),
            "backup_codes_left": backup_codes_left(user),
        },
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change (its validators): this session stays signed in, every other
    session of the user ends (their hash holds the old password)."""

    template_name = "account/password.html"
    success_url = reverse_lazy("account:home")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        audit(cast(User, self.request.user), "account.password_changed")
        messages.success(
            self.request,
            _("パスワードを変更しました。他の端末でのログインは終了しました。"),
        )
        return response


password_change = portal_user_required(PasswordChangeView.as_view())


@sensitive_post_parameters("password")
@never_cache
@portal_user_required
def email_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    """メールアドレスの変更: the new address and the password; the link goes to the new one."""
    form = EmailChangeForm(request.POST or None, user=request.user)
    if request.method == "POST":
        user_allowed = rate_limit_hit("email-change-user", str(request.user.pk))
        ip_allowed = rate_limit_hit("email-change-ip", client_ip(request) or "")
        if not (user_allowed and ip_allowed):
            form.add_error(None, throttled_message())
            return render(request, "account/email.html", {"form": form}, status=429)
        if form.is_valid():
            email_change_request(user=request.user, new_email=form.cleaned_data["new_email"])
            messages.success(
                request,
                _(
                    "%(email)s に確認のメールを送りました。メールのリンクを24時間以内に開くと、変更が完了します。"
                )
                % {"email": form.cleaned_data["new_email"]},
            )
            return redirect("account:home")
    return render(request, "account/email.html", {"form": form})


@never_cache
def email_confirm_link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mail's link: the token is kept in the session and the browser sent on to an
    address without it, so that it reaches no history, log or Referer."""
    if not rate_limit_hit("email-change-link-ip", client_ip(request) or ""):
        return render(
            request, "account/email_confirm.html", {"refusal": throttled_message()}, status=429
        )
    request.session[EMAIL_CHANGE_SESSION_KEY] = token[: TOKEN_MAX_LENGTH + 1]
    return redirect("account:email_confirm")


@never_cache
def email_confirm(request: HttpRequest) -> HttpResponse:
    """Confirm the new address with one click (a mail scanner opening the link changes
    nothing). No sign-in is asked: the link reached the new address, and the password was
    given when the change was asked for."""
    token = request.session.get(EMAIL_CHANGE_SESSION_KEY, "")
    change = email_change_for_token(token)
    refusal = email_change_refusal(change)
    if request.method == "POST" and not refusal:
        if not rate_limit_hit("email-change-link-ip", client_ip(request) or ""):
            return render(
                request,
                "account/email_confirm.html",
                {"refusal": throttled_message()},
                status=429,
            )
        try:
            user = email_change_confirm(token=token)
        except ServiceError as error:
            refusal = error.messages[0]
        else:
            request.session.pop(EMAIL_CHANGE_SESSION_KEY, None)
            return render(
                request, "account/email_confirm.html", {"done": True, "email": user.email}
            )
    return render(
        request,
        "account/email_confirm.html",
        {"change": None if refusal else change, "refusal": refusal},
    )
