"""A guarantee after issuance (SPEC §4): amendment (変更), cancellation (解約) and expiry (期間満了).

An amendment is requested by the branch and made by the worker the way issuance is: the next
certificate version, stating the current version's values with the changes, signed with a new key
(electronic) or rendered for printing (paper). In the same transaction the version before is
superseded (変更済: its key no longer registers) and the guarantee is 変更. The contractor is
told, and so are the users of an obligee that received a version of it.

A cancellation ends the guarantee on a date the branch records; the nightly sweep marks as
期間満了 every guarantee whose version in force states a guarantee period that has ended.
"""

import copy
import datetime
import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.audit import log_action
from core.errors import StateError
from core.queueing import queue_after_commit
from guarantees import rules, tasks, versions
from guarantees.locking import locked_for_worker, locked_guarantee
from guarantees.models import Amendment, Certificate, Guarantee, Receipt
from guarantees.received import snapshot_changes
from notifications.services import message_enqueue, notify_contractor

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Amendable:
    """A value an amendment may change: its form field, where the certificate states it (the
    snapshot path), its label and how it is shown ("yen", "text" or "date")."""

    name: str
    path: tuple[str, ...]
    label: "StrOrPromise"
    kind: str


AMENDABLE = [
    Amendable("amount", ("amount",), gettext_lazy("保証金額"), "yen"),
    Amendable("contract_amount", ("works", "contract_amount"), gettext_lazy("請負金額"), "yen"),
    Amendable("works_name", ("works", "name"), gettext_lazy("工事名"), "text"),
    Amendable("works_place", ("works", "place"), gettext_lazy("工事場所"), "text"),
    Amendable("period_start", ("works", "period_start"), gettext_lazy("工期(自)"), "date"),
    Amendable("period_end", ("works", "period_end"), gettext_lazy("工期(至)"), "date"),
]
AMENDABLE_BY_NAME = {field.name: field for field in AMENDABLE}


def _get(snapshot: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = snapshot
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def stated_values(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The amendable values a version states, by field name (dates as dates)."""
    values = {}
    for field in AMENDABLE:
        value = _get(snapshot, field.path)
        if field.kind == "date":
            value = datetime.date.fromisoformat(value) if value else None
        values[field.name] = value
    return values


def changed_values(snapshot: dict[str, Any], proposed: dict[str, Any]) -> dict[str, Any]:
    """The values of `proposed` (by field name) that differ from what `snapshot` states, in the
    form an Amendment keeps them (dates ISO)."""
    stated = stated_values(snapshot)
    changes = {}
    for name, value in proposed.items():
        if name in AMENDABLE_BY_NAME and value != stated[name]:
            changes[name] = value.isoformat() if isinstance(value, datetime.date) else value
    return changes


def amended_snapshot(
    snapshot: dict[str, Any],
    changes: dict[str, Any],
    *,
    version: int,
    issued_on: datetime.date,
) -> dict[str, Any]:
    """What the next version states: `snapshot` with `changes`, its own version and issue date.
    The guarantee period ends with the works period (SPEC §4), so it follows 工期(至)."""
    amended = copy.deepcopy(snapshot)
    for name, value in changes.items():
        *parents, last = AMENDABLE_BY_NAME[name].path
        target = amended
        for key in parents:
            target = target.setdefault(key, {})
        target[last] = value
    if "period_end" in changes:
        amended.setdefault("guarantee_period", {})["end"] = changes["period_end"]
    amended["version"] = version
    amended["issued_on"] = issued_on.isoformat()
    return amended


def amendment_errors(
    guarantee: Guarantee, snapshot: dict[str, Any], changes: dict[str, Any], *, today: datetime.date
) -> dict[str, "StrOrPromise"]:
    """What is wrong with amending `guarantee` (whose version in force states `snapshot`) by
    `changes`: messages by field name, "__all__" for the whole. The sending rules of SPEC §3
    apply to the amended values, as they did to the values sent."""
    if not changes:
        return {"__all__": _("変更する項目がありません。変更後の値を入力してください。")}
    if set(changes) - set(AMENDABLE_BY_NAME):
        return {"__all__": _("変更できない項目が含まれています。")}
    values = stated_values(amended_snapshot(snapshot, changes, version=0, issued_on=today))
    application = copy.copy(guarantee.application)
    application.contract_amount = values["contract_amount"]
    application.period_start = values["period_start"]
    application.period_end = values["period_end"]
    contract_date = _get(snapshot, ("works", "contract_date"))
    application.contract_date = (
        datetime.date.fromisoformat(contract_date) if contract_date else None
    )
    amended = Guarantee(kind=guarantee.kind, amount=values["amount"])
    errors: dict[str, StrOrPromise] = {}
    # The application's field keys, as the amendment form names them.
    where = {"this_year_amount": "contract_amount", "contract_date": "period_end"}
    for key, message in (
        rules.date_range_errors(application, today=today)
        + rules.works_errors(application)
        + rules.amount_errors(application, amended)
    ):
        if isinstance(key, tuple):
            name = key[1]
        elif key is None:
            name = "__all__"
        else:
            name = where.get(key, key)
        errors.setdefault(name, message)
    if values["period_end"] and values["period_end"] < today:
        errors.setdefault(
            "period_end",
            _("工期(至)は本日以降の日付にしてください(過ぎた日付では保証期間が終了しています)。"),
        )
    return errors


def _version_in_force(guarantee: Guarantee) -> Certificate:
    """The version in force of a guarantee issued (発行済 or 変更), as the callers' refusals
    checked."""
    current = guarantee.current_version
    if current is None:
        raise ValueError(f"Guarantee {guarantee.pk} has no certificate in force.")
    return current


# --- Amendment: the branch's request ------------------------------------------------------------


@transaction.atomic
def amendment_request(
    *, guarantee_id: int, user: User, changes: dict[str, Any], reason: str, token: uuid.UUID
) -> Amendment:
    """変更 by the branch: record the amendment and have the worker issue its version.

    The confirmation page's `token` makes it idempotent: posting the same confirmation again
    (a double click, a retry) returns the amendment already recorded.
    """
    guarantee = locked_guarantee(guarantee_id, user)
    application = guarantee.application
    existing = Amendment.objects.filter(token=token, guarantee=guarantee).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    refusal = guarantee.amend_refusal(today=today)
    if refusal is not None:
        raise StateError(refusal, code="not_amendable")
    current = _version_in_force(guarantee)
    errors = amendment_errors(guarantee, current.snapshot, changes, today=today)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            amendment = Amendment.objects.create(
                guarantee=guarantee,
                token=token,
                changes=changes,
                reason=reason,
                requested_by=user,
                requested_at=timezone.now(),
            )
    except IntegrityError:  # the token of another guarantee's amendment: not this page's
        raise StateError(
            _("この変更はすでに処理されています。画面を開き直してください。"), code="token"
        ) from None
    log_action(
        application,
        "guarantee.amendment_requested",
        user=user,
        data={"number": guarantee.number, "changes": changes, "reason": reason},
    )
    queue_after_commit(tasks.issue_amendment, amendment.pk)
    return amendment


def amendment_recorded(guarantee: Guarantee, token: object) -> bool:
    """Whether the confirmation carrying `token` (as posted: any text) amended `guarantee`."""
    try:
        value = uuid.UUID(str(token))
    except ValueError:
        return False
    return Amendment.objects.filter(guarantee=guarantee, token=value).exists()


# --- Amendment: the worker's side ---------------------------------------------------------------


def amendment_issue(amendment_id: int) -> Certificate | None:
    """Issue the version amendment `amendment_id` asks for (idempotent): the new version, the
    one an earlier run made, or None when the guarantee can no longer be amended."""
    with transaction.atomic():
        guarantee_id = (
            Amendment.objects.filter(pk=amendment_id).values_list("guarantee_id", flat=True).get()
        )
        guarantee = locked_for_worker(guarantee_id)
        amendment = Amendment.objects.select_related("certificate").get(pk=amendment_id)
        if amendment.certificate is not None:
            return amendment.certificate
        if guarantee.status not in Guarantee.IN_FORCE:
            return None
        now = timezone.now()
        current = _version_in_force(guarantee)
        version = versions.next_version_number(guarantee)
        snapshot = amended_snapshot(
            current.snapshot,
            amendment.changes,
            version=version,
            issued_on=timezone.localdate(now),
        )
        certificate = versions.new_version(
            guarantee, now=now, user=None, signed=guarantee.is_electronic, snapshot=snapshot
        )
        current.superseded_at = now
        current.save(update_fields=["superseded_at"])
        guarantee.status = Guarantee.Status.AMENDED
        if "amount" in amendment.changes:
            guarantee.amount = amendment.changes["amount"]
        guarantee.save(update_fields=["status", "amount"])
        amendment.certificate = certificate
        amendment.save(update_fields=["certificate"])
        log_action(
            guarantee.application,
            "guarantee.amended",
            user=None,
            data={
                "number": guarantee.number,
                "version": certificate.version,
                "replaces": current.version,
                "changes": amendment.changes,
                "sha256": certificate.sha256,
            },
        )
        _tell(guarantee, "amended", certificate=certificate, previous=current)
    return certificate


def amendments_overdue(*, older_than: datetime.timedelta | None = None) -> list[int]:
    """Amendments requested but never issued (task never queued, or its worker died): their ids,
    oldest first."""
    if older_than is None:
        older_than = datetime.timedelta(seconds=settings.ISSUANCE_SWEEP_GRACE_SECONDS)
    return list(
        Amendment.objects.filter(
            certificate__isnull=True,
            requested_at__lte=timezone.now() - older_than,
            guarantee__status__in=Guarantee.IN_FORCE,
        )
        .order_by("requested_at", "pk")
        .values_list("pk", flat=True)
    )


# --- Cancellation -------------------------------------------------------------------------------


def cancellation_errors(
    guarantee: Guarantee, cancelled_on: datetime.date, *, today: datetime.date
) -> dict[str, "StrOrPromise"]:
    """What is wrong with cancelling `guarantee` on `cancelled_on`, by field name."""
    first_issue = guarantee.certificates.order_by("version").values_list("issued_at", flat=True)
    issued_on = timezone.localdate(first_issue[0]) if first_issue else None
    if cancelled_on > today:
        return {"cancelled_on": _("解約日は本日以前の日付にしてください。")}
    if issued_on and cancelled_on < issued_on:
        return {
            "cancelled_on": _("解約日は発行日(%(date)s)以降の日付にしてください。")
            % {"date": issued_on.isoformat()}
        }
    return {}


@transaction.atomic
def guarantee_cancel(
    *, guarantee_id: int, user: User, cancelled_on: datetime.date, reason: str
) -> Guarantee:
    """解約 by the branch, on `cancelled_on`. Its certificates stay as issued, now 解約; no key
    registers any more. Cancelling again with the same date changes nothing (a double click)."""
    guarantee = locked_guarantee(guarantee_id, user)
    application = guarantee.application
    if guarantee.status == Guarantee.Status.CANCELLED and guarantee.cancelled_on == cancelled_on:
        return guarantee
    refusal = guarantee.cancel_refusal()
    if refusal is not None:
        raise StateError(refusal, code="not_cancellable")
    errors = cancellation_errors(guarantee, cancelled_on, today=timezone.localdate())
    if errors:
        raise ValidationError(errors)
    guarantee.status = Guarantee.Status.CANCELLED
    guarantee.cancelled_on = cancelled_on
    guarantee.cancel_reason = reason
    guarantee.save(update_fields=["status", "cancelled_on", "cancel_reason"])
    log_action(
        application,
        "guarantee.cancelled",
        user=user,
        data={
            "number": guarantee.number,
            "cancelled_on": cancelled_on.isoformat(),
            "reason": reason,
        },
    )
    _tell(guarantee, "cancelled", certificate=_version_in_force(guarantee))
    return guarantee


# --- Expiry -------------------------------------------------------------------------------------


def guarantees_expire(*, today: datetime.date | None = None) -> list[int]:
    """期間満了: mark every issued or amended guarantee whose version in force states a guarantee
    period that ended before `today`; their ids. A guarantee with an amendment waiting for the
    worker is left for the next sweep (the amendment may extend its period)."""
    today = today or timezone.localdate()
    ended = Certificate.objects.filter(
        guarantee=OuterRef("pk"), superseded_at__isnull=True, period_end__lt=today
    )
    pending = Amendment.objects.filter(guarantee=OuterRef("pk"), certificate__isnull=True)
    expired = []
    candidates = Guarantee.objects.filter(
        Exists(ended),
        ~Exists(pending),
        status__in=Guarantee.IN_FORCE,
    ).values_list("pk", flat=True)
    for guarantee_id in list(candidates):
        with transaction.atomic():
            guarantee = locked_for_worker(guarantee_id)
            if guarantee.status not in Guarantee.IN_FORCE:
                continue  # cancelled meanwhile
            guarantee.status = Guarantee.Status.EXPIRED
            guarantee.save(update_fields=["status"])
            log_action(
                guarantee.application,
                "guarantee.expired",
                data={"number": guarantee.number, "today": today.isoformat()},
            )
            expired.append(guarantee_id)
    return expired


# --- Telling the contractor and the obligee -----------------------------------------------------


def _tell(
    guarantee: Guarantee,
    event: str,
    *,
    certificate: Certificate,
    previous: Certificate | None = None,
) -> None:
    """E-mail the contractor (the applicant's account, and the issuance notice address when the
    contractor asked for notices) and every user of the obligee if it received a version of this
    guarantee. Each message once (dedup keys), inside the change's transaction."""
    application = guarantee.application
    changes = snapshot_changes(previous.snapshot, certificate.snapshot) if previous else []
    context = {
        "guarantee": guarantee,
        "certificate": certificate,
        "previous": previous,
        "changes": changes,
    }
    template = f"certificate_{event}"
    notify_contractor(application, template, f"{event}-{certificate.pk}", **context)
    if application.notify_issuance and application.notify_email:
        message_enqueue(
            template=template,
            recipient=application.notify_email,
            context={"application": application, **context},
            dedup_key=f"{template}:notice:{certificate.pk}",
        )
    received = Receipt.objects.filter(certificate__guarantee=guarantee).values_list(
        "obligee_id", flat=True
    )
    for user in User.objects.filter(obligee_id__in=received, is_active=True).exclude(email=""):
        message_enqueue(
            template=f"received_{template}",
            recipient=user.email,
            context={"application": application, "user": user, **context},
            dedup_key=f"received_{template}:{certificate.pk}:{user.pk}",
        )
