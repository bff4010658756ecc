"""利用申込: a company applies, confirms its address, and the branch approves or refuses.

Every step is recorded with core.audit.log_action: on the registration itself, and — once the
company exists, at approval — on the company (the Contractor), whose 管理者 reads it in the
organisation's timeline.
"""

import hashlib
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Contractor, User
from accounts.staff import in_staff_branch, not_processable
from core.audit import log_action
from core.errors import ServiceError, StateError
from members.services import invite
from notifications.services import absolute_url, message_enqueue
from registrations.models import CONFIRMATION_VALIDITY, Registration

# Longer than any token we make (43 characters): what is longer is not looked up at all.
TOKEN_MAX_LENGTH = 100
REASON_MAX_LENGTH = 2000
PROCESS = "registrations.change_registration"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- The company's side ------------------------------------------------------------------------


def registration_submit(*, data: dict[str, Any]) -> Registration | None:
    """Record the application (`data`: the form's cleaned values) and e-mail the confirmation
    link to the applicant's address; nothing reaches the branch until it is opened.

    An address that already has an account gets instead an e-mail saying so (sign in, or reset
    the password), and nothing is recorded: the person who typed the form sees the same answer
    either way, so that it tells nobody which addresses have accounts.
    """
    email = data["applicant_email"]
    with transaction.atomic():
        if User.objects.filter(email=email).exists():
            message_enqueue(
                template="registration_known_address",
                recipient=email,
                context={
                    "email": email,
                    "login": absolute_url(reverse("accounts:login")),
                    "reset": absolute_url(reverse("accounts:password_reset")),
                },
                dedup_key=f"registration_known_address:{email}:{secrets.token_hex(8)}",
            )
            return None
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        registration = Registration.objects.create(
            **data,
            token_digest=token_digest(token),
            created_at=now,
            expires_at=now + CONFIRMATION_VALIDITY,
        )
        message_enqueue(
            template="registration_confirm",
            recipient=email,
            context={
                "registration": registration,
                "link": absolute_url(reverse("registrations:confirm_link", args=[token])),
                "expires_at": timezone.localtime(registration.expires_at),
            },
            dedup_key=f"registration_confirm:{registration.pk}",
        )
    registration.token = token  # type: ignore[attr-defined]
    return registration


def registration_for_token(token: str) -> Registration | None:
    """The registration a confirmation link names, whatever its state; None for any other text."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        Registration.objects.select_related("branch")
        .filter(token_digest=token_digest(token))
        .first()
    )


def confirmation_refusal(registration: Registration | None) -> str:
    """Why the link cannot be used, for the person holding it; "" if it can."""
    if registration is None:
        return _(
            "この確認用のリンクは無効です。メールのリンクを最後まで開いているかをご確認ください。"
        )
    if registration.status != Registration.Status.UNCONFIRMED:
        return _(
            "このリンクはすでに使用され、メールアドレスの確認は完了しています。審査の結果はメールでお知らせします。"
        )
    if registration.confirmation_expired:
        return _(
            "この確認用のリンクは有効期限(%(expires)s)を過ぎています。お手数ですが、利用申込をもう一度行ってください。"
        ) % {"expires": timezone.localtime(registration.expires_at).strftime("%Y/%m/%d %H:%M")}
    return ""


def registration_confirm(*, token: str) -> Registration:
    """The applicant opened the link: the registration goes to the branch.

    Claimed by one conditional UPDATE (unconfirmed, unexpired, this very token), so of parallel
    confirmations exactly one succeeds; the others are refused with the link's state.
    """
    digest = token_digest(token) if token and len(token) <= TOKEN_MAX_LENGTH else ""
    with transaction.atomic():
        now = timezone.now()
        claimed = Registration.objects.filter(
            token_digest=digest, status=Registration.Status.UNCONFIRMED, expires_at__gt=now
        ).update(status=Registration.Status.WAITING, confirmed_at=now)
        if not claimed:
            raise StateError(
                confirmation_refusal(registration_for_token(token) if digest else None),
                code="confirmation",
            )
        registration = Registration.objects.select_related("branch").get(token_digest=digest)
        log_action(
            registration,
            "registration.confirmed",
            data={"email": registration.applicant_email, "registration": registration.pk},
        )
    return registration


# --- The branch's side -------------------------------------------------------------------------


def registrations_for_staff(user: User) -> models.QuerySet[Registration]:
    """The confirmed registrations `user` serves: those of their branch, every branch's for head
    office (the rule of the applications, accounts.staff)."""
    return in_staff_branch(Registration.objects.confirmed(), user, branch="branch")


def duplicates(registration: Registration) -> dict[str, Any]:
    """What shares the registration's 法人番号: companies already registered, and the other
    registrations (confirmed, undecided) — for staff to look at, never merged by themselves."""
    number = registration.corporate_number
    return {
        "companies": list(Contractor.objects.filter(corporate_number=number).order_by("pk")),
        "registrations": list(
            Registration.objects.waiting()
            .filter(corporate_number=number)
            .exclude(pk=registration.pk)
            .select_related("branch")
        ),
    }


def _locked_for_staff(registration_id: int, user: User) -> Registration:
    if not user.has_perm(PROCESS):
        raise PermissionDenied("Not a registration this staff member may process.")
    try:
        return (
            registrations_for_staff(user)
            .select_for_update()
            .select_related("branch")
            .get(pk=registration_id)
        )
    except Registration.DoesNotExist:
        raise not_processable() from None


def _waiting(registration: Registration) -> None:
    if registration.status != Registration.Status.WAITING:
        raise StateError(
            _("この利用申込はすでに%(status)sのため、処理できません。")
            % {"status": registration.get_status_display()},
            code="decided",
        )


def registration_approve(
    *, registration_id: int, user: User, contractor_id: int | None = None
) -> Registration:
    """承認: the company with the registration's 法人番号 (contractor_id, chosen by staff among
    the duplicates) or a new one, and an invitation to the applicant as its 管理者.

    A new company is refused while one with the same 法人番号 exists: staff link to it instead.
    The row lock and the state check make a second click (or a colleague's) a refusal.
    """
    with transaction.atomic():
        registration = _locked_for_staff(registration_id, user)
        _waiting(registration)
        number = registration.corporate_number
        if contractor_id is not None:
            company = (
                Contractor.objects.select_for_update()
                .filter(pk=contractor_id, corporate_number=number)
                .first()
            )
            if company is None:
                raise ServiceError(_("法人番号が同じ請負者を選んでください。"), code="contractor")
        else:
            existing = Contractor.objects.filter(corporate_number=number).first()
            if existing is not None:
                raise StateError(
                    _(
                        "法人番号 %(number)s の請負者「%(name)s」がすでに登録されています。新しく作成せず、その請負者に紐付けて承認してください。"
                    )
                    % {"number": number, "name": existing.name},
                    code="duplicate",
                )
            company = Contractor.objects.create(
                name=registration.company_name,
                kana=registration.company_kana,
                corporate_number=number,
                address=registration.address,
                representative=registration.representative,
                home_branch=registration.branch,
            )
            log_action(
                company,
                "contractor.created",
                user=user,
                data={"registration": registration.pk, "corporate_number": number},
            )
        invitation = invite(
            email=registration.applicant_email,
            role=User.Role.ADMIN,
            contractor=company,
            invited_by=user,
        )
        now = timezone.now()
        registration.status = Registration.Status.APPROVED
        registration.contractor = company
        registration.decided_at = now
        registration.decided_by = user
        registration.save(update_fields=["status", "contractor", "decided_at", "decided_by"])
        data = {
            "email": registration.applicant_email,
            "registration": registration.pk,
            "corporate_number": number,
        }
        # The company's timeline starts with how it came: the confirmation (when it happened,
        # in the data) and the approval that invited its first 管理者.
        confirmed_at = registration.confirmed_at.isoformat() if registration.confirmed_at else ""
        log_action(company, "registration.confirmed", data={**data, "at": confirmed_at})
        log_action(
            company,
            "registration.approved",
            user=user,
            data={**data, "invitation": invitation.pk},
        )
        log_action(
            registration,
            "registration.approved",
            user=user,
            data={**data, "contractor": company.pk, "invitation": invitation.pk},
        )
    return registration


def registration_refuse(*, registration_id: int, user: User, reason: str) -> Registration:
    """お断り: the reason is e-mailed to the applicant; nothing is created."""
    reason = reason.replace("\x00", "").strip()
    if not reason:
        raise ServiceError(_("お断りの理由を入力してください。"), code="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise ServiceError(
            _("お断りの理由は%(max)s文字以内で入力してください。") % {"max": REASON_MAX_LENGTH},
            code="reason",
        )
    with transaction.atomic():
        registration = _locked_for_staff(registration_id, user)
        _waiting(registration)
        registration.status = Registration.Status.REFUSED
        registration.refusal_reason = reason
        registration.decided_at = timezone.now()
        registration.decided_by = user
        registration.save(update_fields=["status", "refusal_reason", "decided_at", "decided_by"])
        message_enqueue(
            template="registration_refused",
            recipient=registration.applicant_email,
            context={"registration": registration, "reason": reason},
            dedup_key=f"registration_refused:{registration.pk}",
        )
        log_action(
            registration,
            "registration.refused",
            user=user,
            data={
                "email": registration.applicant_email,
                "registration": registration.pk,
                "corporate_number": registration.corporate_number,
                "reason": reason,
            },
        )
    return registration


def waiting_count(user: User) -> int:
    """How many registrations wait for `user`'s decision (the admin's work queue)."""
    return registrations_for_staff(user).filter(status=Registration.Status.WAITING).count()
