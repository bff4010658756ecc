"""Invitations and each organisation's people: who joins, in which role, and who leaves.

Every change is recorded on the organisation (the Contractor or the Obligee) with
core.audit.log_action, so that its 管理者 reads them as one timeline. Changes to an
organisation's people take the organisation's row lock first: two 管理者 demoting each other at
the same moment are taken in turn, and the second finds that the organisation would be left
without a 管理者.
"""

import hashlib
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.validators import EmailValidator
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.forms import normalise_email
from accounts.models import Contractor, User
from core.audit import log_action
from core.errors import ServiceError, StateError
from members.models import INVITATION_VALIDITY, Invitation
from notifications.services import absolute_url, message_enqueue
from obligees.models import Obligee

Organisation = Contractor | Obligee

# Longer than any token we make (43 characters): what is longer is not looked up at all.
TOKEN_MAX_LENGTH = 100


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def organisation_of(user: User) -> Organisation | None:
    return user.contractor or user.obligee


def people_of(organisation: Organisation) -> models.QuerySet[User]:
    """The organisation's users, active or not."""
    field = "contractor" if isinstance(organisation, Contractor) else "obligee"
    return User.objects.filter(**{field: organisation})


def _locked(organisation: Organisation) -> Organisation:
    """The organisation's row, locked until the end of the transaction (see the module's note)."""
    return type(organisation).objects.select_for_update().get(pk=organisation.pk)


def roles_of(organisation: Organisation) -> list[tuple[str, str]]:
    """The roles (value, label) the organisation gives its people."""
    probe = User(
        contractor=organisation if isinstance(organisation, Contractor) else None,
        obligee=organisation if isinstance(organisation, Obligee) else None,
    )
    return probe.roles_offered()


def _role_label(role: str) -> str:
    return str(User.Role(role).label)


# --- Invitations ------------------------------------------------------------------------------


def invite(
    *,
    email: str,
    role: str,
    contractor: Contractor | None = None,
    obligee: Obligee | None = None,
    invited_by: User | None,
    note: str = "",
) -> Invitation:
    """Invite `email` to join the contractor company or the obligee in `role`.

    The invitation's link is e-mailed through the outbox once the transaction commits. The token
    is on the returned invitation (`invitation.token`) for this call only: it is stored as its
    digest. Refused (ServiceError) for a role the organisation does not give, an address already
    among its active people, or one with a pending invitation there (which can be re-sent).
    """
    if (contractor is None) == (obligee is None):
        raise ValueError("An invitation is to exactly one organisation.")
    organisation: Organisation = contractor or obligee  # type: ignore[assignment]
    email = normalise_email(email)
    try:
        EmailValidator()(email)
    except Exception as exc:
        raise ServiceError(_("メールアドレスを正しく入力してください。"), code="email") from exc
    if role not in dict(roles_of(organisation)):
        raise ServiceError(_("この組織で選べる役割ではありません。"), code="role")
    note = note.strip()[:200]
    with transaction.atomic():
        _locked(organisation)
        member = people_of(organisation).filter(email=email).first()
        if member is not None and not member.is_active:
            raise StateError(
                _(
                    "%(email)s は利用停止中のこの組織の利用者です。招待ではなく、利用者の画面で利用を再開してください。"
                )
                % {"email": email},
                code="deactivated",
            )
        if member is not None:
            raise StateError(
                _("%(email)s はすでにこの組織の利用者です。") % {"email": email}, code="member"
            )
        if Invitation.objects.of(organisation).pending().filter(email=email).exists():
            raise StateError(
                _(
                    "%(email)s には有効な招待があります。届いていない場合は、招待中の一覧から再送信してください。"
                )
                % {"email": email},
                code="pending",
            )
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        invitation = Invitation.objects.create(
            token_digest=token_digest(token),
            email=email,
            role=role,
            contractor=contractor,
            obligee=obligee,
            invited_by=invited_by,
            note=note,
            created_at=now,
            sent_at=now,
            expires_at=now + INVITATION_VALIDITY,
        )
        log_action(
            organisation,
            "member.invited",
            user=invited_by,
            data={"email": email, "role": role, "invitation": invitation.pk},
        )
        _send(invitation, token)
    invitation.token = token  # type: ignore[attr-defined]
    return invitation


def _send(invitation: Invitation, token: str) -> None:
    inviter = invitation.invited_by
    message_enqueue(
        template="member_invitation",
        recipient=invitation.email,
        context={
            "email": invitation.email,
            "organisation_name": invitation.organisation.name,  # type: ignore[attr-defined]
            # Head office's staff invite an obligee's first 管理者 in the company's name.
            "inviter_name": (
                inviter.full_name if inviter is not None and not inviter.is_staff else ""
            ),
            "role": _role_label(invitation.role),
            "link": absolute_url(reverse("members:accept_link", args=[token])),
            "expires_at": timezone.localtime(invitation.expires_at),
            "note": invitation.note,
        },
        dedup_key=f"member_invitation:{invitation.pk}:{invitation.sent_count}",
    )


def _pending_locked(invitation_id: int, organisation: Organisation) -> Invitation:
    _locked(organisation)
    invitation = Invitation.objects.of(organisation).select_for_update().get(pk=invitation_id)
    if invitation.status != Invitation.Status.PENDING and not (
        invitation.status == Invitation.Status.EXPIRED
    ):
        raise StateError(
            _("この招待は%(status)sのため、操作できません。")
            % {"status": invitation.get_status_display()},
            code="not_pending",
        )
    return invitation


def invitation_resend(*, invitation_id: int, organisation: Organisation, user: User) -> Invitation:
    """再送信: a new token (the old link stops working) valid for another 7 days, e-mailed again.
    An expired invitation may be re-sent; a used or revoked one may not."""
    with transaction.atomic():
        invitation = _pending_locked(invitation_id, organisation)
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        invitation.token_digest = token_digest(token)
        invitation.sent_at = now
        invitation.expires_at = now + INVITATION_VALIDITY
        invitation.sent_count += 1
        invitation.save(update_fields=["token_digest", "sent_at", "expires_at", "sent_count"])
        log_action(
            organisation,
            "member.invitation_resent",
            user=user,
            data={"email": invitation.email, "role": invitation.role, "invitation": invitation.pk},
        )
        _send(invitation, token)
    invitation.token = token  # type: ignore[attr-defined]
    return invitation


def invitation_revoke(*, invitation_id: int, organisation: Organisation, user: User) -> Invitation:
    """取消し: the link stops working for good."""
    with transaction.atomic():
        invitation = _pending_locked(invitation_id, organisation)
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        log_action(
            organisation,
            "member.invitation_revoked",
            user=user,
            data={"email": invitation.email, "role": invitation.role, "invitation": invitation.pk},
        )
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link names, whatever its state; None for any other text."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        Invitation.objects.select_related("contractor", "obligee")
        .filter(token_digest=token_digest(token))
        .first()
    )


def invitation_refusal(invitation: Invitation | None) -> str:
    """Why the link cannot be used, in words for the person holding it; "" if it can."""
    if invitation is None:
        return _(
            "この招待のリンクは無効です。メールのリンクを最後まで開いているか、最新の招待メールのリンクかをご確認ください(再送信されると、以前のリンクは使えなくなります)。"
        )
    status = invitation.status
    if status == Invitation.Status.ACCEPTED:
        return _(
            "この招待のリンクはすでに使用され、登録は完了しています。登録したメールアドレスとパスワードでログインしてください。"
        )
    if status == Invitation.Status.REVOKED:
        return _(
            "この招待は取り消されました。必要な場合は、招待した組織の管理者にお問い合わせください。"
        )
    if status == Invitation.Status.EXPIRED:
        return _(
            "この招待のリンクは有効期限(%(expires)s)を過ぎています。招待した組織の管理者に再送信を依頼してください。"
        ) % {"expires": timezone.localtime(invitation.expires_at).strftime("%Y/%m/%d %H:%M")}
    return ""


def invitation_accept(*, token: str, full_name: str, password: str) -> User:
    """The invited person's account: their own name and password, the invitation's address,
    organisation and role — nothing the request could choose otherwise.

    The invitation is claimed by one conditional UPDATE (unused, unrevoked, unexpired, this very
    token), so of parallel acceptances exactly one makes an account; the others are refused.
    """
    digest = token_digest(token) if token and len(token) <= TOKEN_MAX_LENGTH else ""
    full_name = full_name.strip()
    if not full_name:
        raise ServiceError(_("氏名を入力してください。"), code="full_name")
    with transaction.atomic():
        now = timezone.now()
        claimed = Invitation.objects.filter(
            token_digest=digest, used_at=None, revoked_at=None, expires_at__gt=now
        ).update(used_at=now)
        if not claimed:
            raise StateError(
                invitation_refusal(invitation_for_token(token) if digest else None),
                code="invitation",
            )
        invitation = Invitation.objects.select_related("contractor", "obligee").get(
            token_digest=digest
        )
        user = User(
            email=invitation.email,
            full_name=full_name,
            contractor=invitation.contractor,
            obligee=invitation.obligee,
            role=invitation.role,
        )
        validate_password(password, user)
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:
            # The address has an account already (made since the invitation was sent): the
            # invitation stays unused, as the whole transaction is rolled back.
            raise StateError(
                _(
                    "このメールアドレスはすでにネットデスクに登録されています。ログインするか、パスワードの再設定をご利用ください。"
                ),
                code="exists",
            ) from exc
        invitation.user = user
        invitation.save(update_fields=["user"])
        log_action(
            invitation.organisation,
            "member.joined",
            user=user,
            data={"email": user.email, "role": user.role, "invitation": invitation.pk},
        )
    return user


# --- People -----------------------------------------------------------------------------------


def _person_locked(person_id: int, organisation: Organisation) -> User:
    _locked(organisation)
    return people_of(organisation).select_for_update().get(pk=person_id)


def _other_active_admins(organisation: Organisation, person: User) -> bool:
    return (
        people_of(organisation)
        .filter(is_active=True, role=User.Role.ADMIN)
        .exclude(pk=person.pk)
        .exists()
    )


LAST_ADMIN = gettext_lazy(
    "組織の管理者が一人もいなくなるため、この操作はできません。先に他の方を管理者にしてください。"
)


def role_change(*, person_id: int, role: str, organisation: Organisation, user: User) -> User:
    """Give one of the organisation's people another role; the organisation keeps a 管理者."""
    if role not in dict(roles_of(organisation)):
        raise ServiceError(_("この組織で選べる役割ではありません。"), code="role")
    with transaction.atomic():
        person = _person_locked(person_id, organisation)
        old = person.role
        if old == role:
            return person
        if (
            old == User.Role.ADMIN
            and person.is_active
            and not _other_active_admins(organisation, person)
        ):
            raise StateError(str(LAST_ADMIN), code="last_admin")
        person.role = role
        person.save(update_fields=["role"])
        log_action(
            organisation,
            "member.role_changed",
            user=user,
            data={"email": person.email, "person": person.pk, "from": old, "role": role},
        )
    return person


def person_deactivate(*, person_id: int, organisation: Organisation, user: User) -> User:
    """利用停止: the person can no longer sign in, and every session of theirs ends at once (the
    session generation is part of each session's hash; old password-reset links are refused for
    an inactive account). Their pending invitations to others stay: the organisation invited."""
    with transaction.atomic():
        person = _person_locked(person_id, organisation)
        if not person.is_active:
            return person
        if person.role == User.Role.ADMIN and not _other_active_admins(organisation, person):
            raise StateError(str(LAST_ADMIN), code="last_admin")
        person.is_active = False
        person.session_generation += 1
        person.save(update_fields=["is_active", "session_generation"])
        log_action(
            organisation,
            "member.deactivated",
            user=user,
            data={"email": person.email, "person": person.pk},
        )
    return person


def person_reactivate(*, person_id: int, organisation: Organisation, user: User) -> User:
    """利用再開: the person signs in again with their password (their old sessions stay ended)."""
    with transaction.atomic():
        person = _person_locked(person_id, organisation)
        if person.is_active:
            return person
        person.is_active = True
        person.save(update_fields=["is_active"])
        log_action(
            organisation,
            "member.reactivated",
            user=user,
            data={"email": person.email, "person": person.pk},
        )
    return person


def describe(data: dict[str, Any]) -> str:
    """The details of a membership entry of the timeline: whose, and which role."""
    parts = [str(data["email"])] if data.get("email") else []
    if data.get("from") and data.get("role"):
        parts.append(f"{_role_label(data['from'])} → {_role_label(data['role'])}")
    elif data.get("role") in User.Role.values:
        parts.append(_role_label(data["role"]))
    # One's own account (members.account): the address asked for, the one it replaced, and the
    # organisation's second-factor requirement.
    if data.get("new_email"):
        parts.append(_("新: %(email)s") % {"email": data["new_email"]})
    if data.get("previous"):
        parts.append(_("旧: %(email)s") % {"email": data["previous"]})
    if "required" in data:
        parts.append(_("必須") if data["required"] else _("任意"))
    return " / ".join(parts)
