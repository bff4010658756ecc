"""State changes of guarantees."""

import datetime
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core import signing as django_signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_variables

from accounts.models import Branch, User
from core.audit import log_action
from core.errors import ServiceError, StateError
from core.ratelimit import attempts_in_turn, rate_limit_hit, rate_limit_reached, rate_limit_reset
from core.sequences import fiscal_year, next_value, peek_value
from fees.calculation import FeeBreakdown, approval_fee_for
from guarantees.keys import decrypt_key, display_key
from guarantees.locking import locked_guarantee
from guarantees.models import Certificate, Guarantee
from guarantees.selectors import CertificateState, certificate_state, certificates_for
from notifications.services import notify_contractor

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)


def _number_key(branch_code: str, approved_on: datetime.date) -> tuple[str, int]:
    year = fiscal_year(approved_on)
    return f"guarantee:{branch_code}:{year}", year


def guarantee_number(*, branch_code: str, approved_on: datetime.date) -> str:
    """`<branch code>-<fiscal year>-<6-digit serial>`, e.g. GM-2026-000123.

    The serial comes from a locked counter per branch and fiscal year, inside the approving
    transaction: concurrent approvals wait for each other, and a rolled-back approval gives its
    serial back, so a fiscal year has neither duplicates nor gaps.
    """
    key, year = _number_key(branch_code, approved_on)
    return f"{branch_code}-{year}-{next_value(key):06d}"


class ApplicationToApprove(Protocol):
    """What approval reads of the guarantee's application (`guarantee.application`), by what it
    reads: guarantees sit below the applications app and do not import it."""

    @property
    def branch(self) -> Branch | None: ...

    @property
    def contract_date(self) -> datetime.date | None: ...

    @property
    def period_end(self) -> datetime.date | None: ...

    def approve_refusal(self, guarantee: Guarantee) -> "StrOrPromise | None": ...


def _branch_code(application: ApplicationToApprove) -> str:
    if application.branch is None:
        # Sending requires the branch (applications.rules): only a draft has none, and staff
        # never act on a draft's guarantees (guarantees.locking).
        raise ValueError("An application without a branch cannot be approved.")
    return application.branch.code


def _approval_fee(
    guarantee: Guarantee, application: ApplicationToApprove, today: datetime.date
) -> FeeBreakdown:
    """The fee an approval on `today` fixes; a ServiceError when it cannot be computed."""
    fee = approval_fee_for(guarantee, application, today)
    if fee.breakdown is None:
        # The sending rules refuse what cannot be priced, but time passes between sending and
        # approval (the works period may have ended) and fee tables change.
        raise ServiceError(
            _("保証料を計算できないため承諾できません: %(reason)s") % {"reason": fee.reason},
            code="fee",
        )
    return fee.breakdown


@dataclass(frozen=True)
class ApprovalPreview:
    """What approving a guarantee now would assign, for the confirmation page. Reading it
    consumes nothing: the number is the next free serial, which a concurrent approval may take
    first (so it is shown as 予定)."""

    number: str
    fee: FeeBreakdown | None
    refusal: "StrOrPromise | None"  # why the approval would be refused (state or fee), or None


def guarantee_approval_preview(
    *, guarantee: Guarantee, application: ApplicationToApprove
) -> ApprovalPreview:
    """What approving `guarantee` of `application` (its own) now would assign."""
    today = timezone.localdate()
    branch_code = _branch_code(application)
    key, year = _number_key(branch_code, today)
    number = f"{branch_code}-{year}-{peek_value(key):06d}"
    refusal = application.approve_refusal(guarantee)
    fee = None
    try:
        fee = _approval_fee(guarantee, application, today)
    except ServiceError as exc:
        refusal = refusal or exc.message
    return ApprovalPreview(number=number, fee=fee, refusal=refusal)


@transaction.atomic
def guarantee_approve(*, guarantee_id: int, user: User) -> Guarantee:
    """承諾: assign the guarantee number and compute the fee, frozen with its breakdown."""
    guarantee = locked_guarantee(guarantee_id, user)
    application = guarantee.application
    refusal = application.approve_refusal(guarantee)
    if refusal is not None:
        raise StateError(refusal, code="not_reviewing")
    now = timezone.now()
    today = timezone.localdate(now)
    breakdown = _approval_fee(guarantee, application, today)
    guarantee.number = guarantee_number(branch_code=_branch_code(application), approved_on=today)
    guarantee.status = Guarantee.Status.APPROVED
    guarantee.fee = breakdown.fee
    guarantee.fee_breakdown = breakdown.as_json()
    guarantee.approved_at = now
    guarantee.save(update_fields=["number", "status", "fee", "fee_breakdown", "approved_at"])
    application.guarantee_approved(now=now)
    log_action(
        application,
        "guarantee.approved",
        user=user,
        data={"kind": guarantee.kind, "number": guarantee.number, "fee": guarantee.fee},
    )
    notify_contractor(
        application, "guarantee_approved", f"approved-{guarantee.pk}", guarantee=guarantee
    )
    return guarantee


# --- The authentication key shown to the contractor ---------------------------------------------

KEY_REVEAL_LIMIT = "key-reveal-user"
KEY_NOT_IN_FORCE = gettext_lazy(
    "この保証証書は変更・解約または期間満了により現在有効ではないため、認証キーは表示できません。"
)


@sensitive_variables("password", "body")
def certificate_key_reveal(*, certificate_id: int, user: User, password: str) -> str:
    """認証キーを表示: the key of an electronic certificate of the user's company, in its display
    form (XXXX-XXXX-XXXX-XXXX-C), once the user has typed their password again.

    A wrong password is refused with a ServiceError, and so is every attempt after too many wrong
    ones in a row (settings.RATE_LIMITS["key-reveal-user"]): only wrong ones count, and a user's
    attempts are taken in turn, so parallel guesses get no more tries and parallel right ones
    (two tabs, a double click) are not refused. Each reveal and each refusal is
    audited with the version only: the key is never written anywhere, logs and audit included.
    Not atomic: the audit entry of a refusal must stay although the call then raises.
    """
    certificate = (
        certificates_for(user)
        .filter(pk=certificate_id, certificate_format=Guarantee.Format.ELECTRONIC)
        .select_related("guarantee")
        .first()
    )
    if certificate is None:
        raise PermissionDenied("Not a certificate of the user's company.")
    if certificate_state(certificate, today=timezone.localdate()) != CertificateState.VALID:
        raise StateError(KEY_NOT_IN_FORCE, code="not_in_force")
    user_key = str(user.pk)
    with attempts_in_turn(User.objects.filter(pk=user.pk)):
        held = rate_limit_reached(KEY_REVEAL_LIMIT, user_key)
        right = not held and user.check_password(password)
        if right:
            rate_limit_reset(KEY_REVEAL_LIMIT, user_key)  # only failures in a row add up
        elif not held:
            # A failure past the limit (a parallel guess counted after others) pauses as well.
            held = not rate_limit_hit(KEY_REVEAL_LIMIT, user_key)
    if held:
        minutes = settings.RATE_LIMITS[KEY_REVEAL_LIMIT][1] // 60
        raise _key_refused(
            certificate,
            user,
            "rate_limited",
            _(
                "パスワードの誤りが続いたため、認証キーの表示を停止しています。%(minutes)s分ほど時間をおいて再度お試しください。"
            )
            % {"minutes": minutes},
        )
    if not right:
        raise _key_refused(
            certificate,
            user,
            "wrong_password",
            _("パスワードが正しくありません。ログインに使うパスワードを入力してください。"),
        )
    try:
        body = decrypt_key(certificate.key_encrypted)
    except InvalidToken:
        # Not the user's doing: the Fernet keys of the deployment no longer include the one the
        # key was stored with (AUTH_KEY_FERNET_KEYS).
        logger.error("The stored key of certificate %s cannot be decrypted.", certificate.pk)
        raise ServiceError(
            _(
                "認証キーを表示できませんでした。お手数ですが申込先の営業部・支店にお問い合わせください。"
            ),
            code="undecryptable",
        ) from None
    log_action(
        certificate, "certificate.key_revealed", user=user, data={"version": certificate.version}
    )
    return display_key(body)


def _key_refused(
    certificate: Certificate, user: User, reason: str, message: "StrOrPromise"
) -> ServiceError:
    """The refusal to raise, audited first (its reason, never what was typed)."""
    log_action(
        certificate,
        "certificate.key_reveal_failed",
        user=user,
        data={"version": certificate.version, "reason": reason},
    )
    return ServiceError(message, code=reason)


# The handover notice: downloaded from the page that shows the key, with a pass that page gives
# (signed, for this user and version, valid for a few minutes), so that the key never travels in
# a URL and the password is not asked twice.
NOTICE_PASS_SALT = "guarantees.key-notice"
NOTICE_PASS_SECONDS = 600


def key_notice_pass(certificate: Certificate, user: User) -> str:
    return django_signing.TimestampSigner(salt=NOTICE_PASS_SALT).sign(f"{certificate.pk}:{user.pk}")


def key_notice_pdf(*, certificate_id: int, user: User, notice_pass: str) -> bytes:
    """「電子保証証書閲覧用『認証キー』等のお知らせ」 (PDF) of a certificate of the user's company,
    for a pass key_notice_pass() gave this user for it; audited (without the key)."""
    from guarantees import rendering  # WeasyPrint loads only where documents are made
    from guarantees.versions import verify_url

    try:
        value = django_signing.TimestampSigner(salt=NOTICE_PASS_SALT).unsign(
            notice_pass, max_age=NOTICE_PASS_SECONDS
        )
    except django_signing.BadSignature as exc:
        raise StateError(
            _("お知らせの作成期限が過ぎました。もう一度認証キーを表示してから作成してください。"),
            code="notice_pass",
        ) from exc
    if value != f"{certificate_id}:{user.pk}":
        raise PermissionDenied("A notice pass of another certificate or user.")
    certificate = (
        certificates_for(user)
        .filter(pk=certificate_id, certificate_format=Guarantee.Format.ELECTRONIC)
        .first()
    )
    if certificate is None:
        raise PermissionDenied("Not a certificate of the user's company.")
    pdf = rendering.render_key_notice(
        certificate.snapshot,
        key=display_key(decrypt_key(certificate.key_encrypted)),
        verify_url=verify_url(certificate.verify_token),
    )
    log_action(
        certificate, "certificate.notice_made", user=user, data={"version": certificate.version}
    )
    return pdf
