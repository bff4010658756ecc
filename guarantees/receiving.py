"""認証キーの登録 (受領, SPEC §7): an obligee user registers a certificate with its guarantee number
and authentication key.

A typo is caught by the key's check symbol before any lookup, with a message of its own. Any other
failure — unknown key, a number that does not go with it, another obligee's certificate, a
superseded version, a guarantee no longer in force — gets one and the same neutral message, and
counts against the user and the IP address; once either has used up its failures in the window,
every attempt is refused, even a right one, until the window has passed.
"""

import hmac
import unicodedata

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.audit import log_action
from core.errors import ServiceError
from core.ratelimit import attempts_in_turn, rate_limit_hit, rate_limit_reached, rate_limit_reset
from guarantees import keys
from guarantees.models import Certificate, Receipt
from guarantees.selectors import CertificateState, certificate_state
from obligees.models import Obligee

USER_LIMIT, IP_LIMIT = "key-register-user", "key-register-ip"
MAX_NUMBER_LENGTH = 40


def neutral_refusal() -> str:
    return _(
        "保証契約番号と認証キーの組み合わせを確認できませんでした。お手元のお知らせの内容をご確認ください。"
    )


def normalise_number(text: str) -> str:
    """保証契約番号 as typed or pasted: full width, case and surrounding spaces do not matter."""
    return unicodedata.normalize("NFKC", text or "").strip().upper()[:MAX_NUMBER_LENGTH]


def certificate_receive(*, user: User, number: str, key: str, ip: str) -> Receipt:
    """Register the certificate version that `number` and `key` name for the user's obligee; the
    same receipt again if it was registered already. A ServiceError says why not."""
    obligee_id = user.obligee_id
    if obligee_id is None:
        raise PermissionDenied("Only obligee users receive certificates.")
    number = normalise_number(number)
    audit = {"number": number}  # what was typed, never the key
    limits = [(USER_LIMIT, str(user.pk)), (IP_LIMIT, ip)]
    certificate, mistyped = None, None
    with attempts_in_turn(User.objects.filter(pk=user.pk)):
        held = any(rate_limit_reached(scope, value) for scope, value in limits)
        failed = False
        if not held:
            certificate, mistyped = _lookup(number, key, obligee_id)
            failed = certificate is None and mistyped is None
        if failed:
            # Increment, then compare: a failure past either limit (the IP address's is shared
            # by users whose attempts are not taken in turn) is answered as the hold.
            within = [rate_limit_hit(scope, value) for scope, value in limits]
            held = not all(within)
    if held:
        log_action(_obligee(user), "certificate.receive_refused", user=user, data=audit)
        raise ServiceError(
            _(
                "認証キーの誤りが続いたため、登録を一時停止しています。15分ほど時間をおいて再度お試しください。"
            ),
            code="rate_limited",
        )
    if mistyped is not None:
        log_action(_obligee(user), "certificate.receive_mistyped", user=user, data=audit)
        raise ServiceError(mistyped.message, code="mistyped") from mistyped
    if certificate is None:  # failed
        log_action(_obligee(user), "certificate.receive_failed", user=user, data=audit)
        raise ServiceError(neutral_refusal(), code="no_match")
    receipt = _receipt(certificate, user, obligee_id)
    log_action(
        certificate,
        "certificate.received",
        user=user,
        data={**audit, "version": certificate.version},
    )
    return receipt


def _lookup(
    number: str, key: str, obligee_id: int
) -> tuple[Certificate | None, keys.InvalidKey | None]:
    """The certificate version that `number` and `key` name for the obligee (None if they name
    none it may receive), or the typo the key's check symbol caught before any lookup."""
    try:
        body = keys.parse_key(key)
    except keys.InvalidKey as exc:
        return None, exc
    certificate = (
        Certificate.objects.filter(key_digest=keys.key_digest(body))
        .select_related("guarantee__application")
        .first()
    )
    return (certificate if _addressed_to(certificate, number, obligee_id) else None), None


def _addressed_to(certificate: Certificate | None, number: str, obligee_id: int) -> bool:
    """Whether the key's certificate is the version in force of guarantee `number`, addressed to
    the obligee. The number is compared in constant time; every check is made whatever the
    earlier ones said, so the answer's timing tells nothing either."""
    if certificate is None:
        hmac.compare_digest(number.encode(), b"-" * len(number))
        return False
    guarantee = certificate.guarantee
    # In force: not superseded by an amendment, not cancelled, its guarantee period not over.
    in_force = certificate_state(certificate, today=timezone.localdate()) == CertificateState.VALID
    return all(
        [
            hmac.compare_digest(number.encode(), (guarantee.number or "").encode()),
            certificate.is_electronic,
            in_force,
            guarantee.application.obligee_id == obligee_id,
        ]
    )


def _obligee(user: User) -> Obligee:
    """The user's obligee, for the audit entry of a refusal (certificate_receive checked there
    is one; read only when refusing, a receipt needs no more than its id)."""
    if user.obligee is None:
        raise PermissionDenied("Only obligee users receive certificates.")
    return user.obligee


def _receipt(certificate: Certificate, user: User, obligee_id: int) -> Receipt:
    existing = Receipt.objects.filter(certificate=certificate, obligee_id=obligee_id).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Receipt.objects.create(
                certificate=certificate,
                obligee_id=obligee_id,
                received_by=user,
                received_at=timezone.now(),
            )
    except IntegrityError:  # a colleague (or a double submission) registered it just now
        return Receipt.objects.get(certificate=certificate, obligee_id=obligee_id)


def registration_hold_lift(*, obligee: Obligee, acting_user: User) -> int:
    """Let the obligee's users register keys again at once instead of after the window (staff,
    when an obligee calls in); the number of users who were on hold. Their failures so far are
    forgotten too. The per-IP count is left to its window: an office shares one address."""
    held = 0
    for user_id in User.objects.filter(obligee=obligee).values_list("pk", flat=True):
        held += rate_limit_reached(USER_LIMIT, str(user_id))
        rate_limit_reset(USER_LIMIT, str(user_id))
    log_action(obligee, "obligee.key_register_unlocked", user=acting_user, data={"held": held})
    return held
