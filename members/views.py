"""利用者管理: the invitation link, and the 管理者's pages for their organisation's people."""

from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.http import AuthenticatedHttpRequest, View
from accounts.lockout import client_ip
from accounts.models import User
from accounts.roles import is_org_admin, role_refused
from core.audit import action_label, audit_entries_for
from core.errors import ServiceError
from core.ratelimit import rate_limit_hit
from members import services
from members.forms import AcceptForm, InviteForm, RoleForm
from members.models import Invitation

INVITATION_SESSION_KEY = "_members_invitation_token"
TIMELINE_PAGE_SIZE = 50


def _throttled_message() -> str:
    return _(
        "操作が短い間に続いたため、しばらく受け付けを停止しています。時間をおいて再度お試しください。"
    )


# --- The invitation link ----------------------------------------------------------------------


@never_cache
def accept_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link of the invitation e-mail. The token is kept in the session and the browser sent
    on to an address without it, so that it reaches no history, log or Referer (as Django's
    password reset does)."""
    if not rate_limit_hit("invitation-link-ip", client_ip(request) or ""):
        return render(request, "members/accept.html", {"refusal": _throttled_message()}, status=429)
    request.session[INVITATION_SESSION_KEY] = token[: services.TOKEN_MAX_LENGTH + 1]
    return redirect("members:accept")


@never_cache
def accept(request: HttpRequest) -> HttpResponse:
    """登録: the invited person chooses their name and password, and is signed in."""
    token = request.session.get(INVITATION_SESSION_KEY, "")
    invitation = services.invitation_for_token(token)
    refusal = services.invitation_refusal(invitation)
    context: dict[str, Any] = {"invitation": invitation, "refusal": refusal}
    if refusal or invitation is None:
        return render(request, "members/accept.html", context)
    if request.user.is_authenticated:
        # Someone is signed in on this browser (a colleague's account, or the person's own in
        # another organisation): accepting would mix two people, so they sign out first.
        return render(request, "members/accept.html", {**context, "signed_in": True})
    form = AcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST":
        if not rate_limit_hit("invitation-link-ip", client_ip(request) or ""):
            return render(
                request, "members/accept.html", {"refusal": _throttled_message()}, status=429
            )
        if form.is_valid():
            try:
                user = services.invitation_accept(
                    token=token,
                    full_name=form.cleaned_data["full_name"],
                    password=form.cleaned_data["password1"],
                )
            except ServiceError as error:
                return render(
                    request, "members/accept.html", {**context, "refusal": error.messages[0]}
                )
            except ValidationError as error:  # the password validators, checked again
                form.add_error("password1", error)
            else:
                request.session.pop(INVITATION_SESSION_KEY, None)
                login(request, user, backend="accounts.backends.UserWithOrganisationBackend")
                messages.success(
                    request,
                    _("登録が完了しました。ようこそ、%(name)s様。") % {"name": user.full_name},
                )
                return redirect("applications:dashboard")
    return render(request, "members/accept.html", {**context, "form": form})


# --- The 管理者's pages -------------------------------------------------------------------------


def org_admin_required(view: View) -> View:
    """The organisation's 管理者 only: other roles get the page saying so, staff go to the admin,
    anyone else signs in first."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = cast(User, request.user)
        if user.is_staff:
            return redirect("admin:index")
        if not is_org_admin(user):
            return role_refused(request)
        return view(request, *args, **kwargs)

    return cast(View, wrapper)


def _organisation(request: AuthenticatedHttpRequest) -> services.Organisation:
    organisation = services.organisation_of(request.user)
    assert organisation is not None  # org_admin_required let only an organisation's user in
    return organisation


def _roles(organisation: services.Organisation) -> list[tuple[str, str]]:
    return services.roles_of(organisation)


def _people_page(
    request: AuthenticatedHttpRequest, invite_form: InviteForm | None = None, status: int = 200
) -> HttpResponse:
    organisation = _organisation(request)
    people = (
        services.people_of(organisation)
        .annotate(
            second_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
        )
        .order_by("-is_active", "full_name", "email")
    )
    invitations = (
        Invitation.objects.of(organisation)
        .filter(used_at=None, revoked_at=None)
        .select_related("invited_by")
        .order_by("-sent_at")
    )
    return render(
        request,
        "members/people.html",
        {
            "organisation": organisation,
            "people": people,
            "invitations": invitations,
            "invite_form": invite_form or InviteForm(roles=_roles(organisation)),
        },
        status=status,
    )


@org_admin_required
def people(request: AuthenticatedHttpRequest) -> HttpResponse:
    """利用者の管理: the organisation's people, its pending invitations, and the invite form."""
    return _people_page(request)


@require_POST
@org_admin_required
def invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    form = InviteForm(request.POST, roles=_roles(organisation))
    if not form.is_valid():
        return _people_page(request, form)
    if not _sending_allowed(request, form.cleaned_data["email"]):
        form.add_error(None, _throttled_message())
        return _people_page(request, form, status=429)
    try:
        services.invite(
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            contractor=organisation if isinstance(organisation, services.Contractor) else None,
            obligee=organisation if isinstance(organisation, services.Obligee) else None,
            invited_by=request.user,
            note=form.cleaned_data["note"],
        )
    except ServiceError as error:
        form.add_error(None, error.messages[0])
        return _people_page(request, form)
    messages.success(
        request,
        _("%(email)s に招待メールを送りました(有効期限7日)。")
        % {"email": form.cleaned_data["email"]},
    )
    return redirect("members:people")


def _sending_allowed(request: HttpRequest, email: str) -> bool:
    """Invitation e-mails per address and per IP address: both counted on every request."""
    address = rate_limit_hit("invitation-send-address", email)
    ip = rate_limit_hit("invitation-send-ip", client_ip(request) or "")
    return address and ip


@require_POST
@org_admin_required
def invitation_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request)
    invitation = get_object_or_404(Invitation.objects.of(organisation), pk=pk)
    if not _sending_allowed(request, invitation.email):
        messages.error(request, _throttled_message())
        return redirect("members:people")
    try:
        services.invitation_resend(invitation_id=pk, organisation=organisation, user=request.user)
    except ServiceError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _("%(email)s に招待メールを再送信しました。以前のリンクは使えなくなりました。")
            % {"email": invitation.email},
        )
    return redirect("members:people")


@require_POST
@org_admin_required
def invitation_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request)
    invitation = get_object_or_404(Invitation.objects.of(organisation), pk=pk)
    try:
        services.invitation_revoke(invitation_id=pk, organisation=organisation, user=request.user)
    except ServiceError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("%(email)s への招待を取り消しました。") % {"email": invitation.email}
        )
    return redirect("members:people")


@org_admin_required
def person(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One person: their role, and 利用停止 / 利用再開."""
    organisation = _organisation(request)
    someone = get_object_or_404(services.people_of(organisation), pk=pk)
    form = RoleForm(initial={"role": someone.role}, roles=_roles(organisation))
    return render(
        request,
        "members/person.html",
        {
            "person": someone,
            "form": form,
            "second_factor": TOTPDevice.objects.filter(user=someone, confirmed=True).exists(),
        },
    )


@require_POST
@org_admin_required
def person_role(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request)
    someone = get_object_or_404(services.people_of(organisation), pk=pk)
    form = RoleForm(request.POST, roles=_roles(organisation))
    if not form.is_valid():
        messages.error(request, _("役割を選んでください。"))
        return redirect("members:person", pk=someone.pk)
    try:
        services.role_change(
            person_id=someone.pk,
            role=form.cleaned_data["role"],
            organisation=organisation,
            user=request.user,
        )
    except ServiceError as error:
        messages.error(request, error.messages[0])
        return redirect("members:person", pk=someone.pk)
    messages.success(request, _("%(name)sさんの役割を変更しました。") % {"name": someone})
    return redirect("members:people")


@require_POST
@org_admin_required
def person_deactivate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request)
    someone = get_object_or_404(services.people_of(organisation), pk=pk)
    try:
        services.person_deactivate(
            person_id=someone.pk, organisation=organisation, user=request.user
        )
    except ServiceError as error:
        messages.error(request, error.messages[0])
        return redirect("members:person", pk=someone.pk)
    if someone.pk == request.user.pk:
        return redirect("accounts:login")  # their own session has just ended
    messages.success(
        request,
        _("%(name)sさんの利用を停止しました。ログイン中の画面も使えなくなりました。")
        % {"name": someone},
    )
    return redirect("members:people")


@require_POST
@org_admin_required
def person_reactivate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request)
    someone = get_object_or_404(services.people_of(organisation), pk=pk)
    services.person_reactivate(person_id=someone.pk, organisation=organisation, user=request.user)
    messages.success(request, _("%(name)sさんの利用を再開しました。") % {"name": someone})
    return redirect("members:people")


@org_admin_required
def timeline(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The organisation's timeline: every recorded step of its people, newest first."""
    organisation = _organisation(request)
    entries = audit_entries_for(organisation).order_by("-created_at", "-pk")
    page = Paginator(entries, TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "at": entry.created_at,
            "what": action_label(entry),
            "who": entry.user,
            "details": services.describe(entry.data),
        }
        for entry in page.object_list
    ]
    return render(request, "members/timeline.html", {"page": page, "rows": rows})
