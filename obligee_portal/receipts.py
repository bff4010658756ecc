"""電子保証の受領 by an obligee user (SPEC §7), however the pair arrived (typed, a dropped
notice, the notice's QR code): received now, or received already."""

from dataclasses import dataclass

from django.contrib import messages
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.audit import log_action
from core.templatetags.netdesk import ymd
from guarantees import received, receiving


@dataclass(frozen=True)
class Outcome:
    """What registering one pair did: received now, or found received already."""

    message: str
    already: bool = False

    @property
    def level(self) -> int:
        return messages.INFO if self.already else messages.SUCCESS


def pair_receive(*, user: User, number: str, key: str, ip: str) -> Outcome:
    """Receive the certificate version `number` and `key` name for the user's obligee; a
    ServiceError says why not. A version the obligee already holds is not received again: the
    answer says when it was (and by whom), and only the attempt is audited."""
    held = received.receipt_held(user, number=number, key=key)
    if held is not None:
        certificate = held.certificate
        log_action(
            certificate,
            "certificate.receive_repeated",
            user=user,
            data={"number": certificate.guarantee.number, "version": certificate.version},
        )
        return Outcome(
            _(
                "保証証書 %(number)s(第%(version)s版)は %(date)s に受領済みです(受領者: %(person)s)。"
                "改めて受領する必要はありません。"
            )
            % {
                "number": certificate.guarantee.number,
                "version": certificate.version,
                "date": ymd(timezone.localtime(held.received_at)),
                "person": held.received_by,
            },
            already=True,
        )
    receipt = receiving.certificate_receive(user=user, number=number, key=key, ip=ip)
    return Outcome(
        _("保証証書 %(number)s(第%(version)s版)を受領しました。")
        % {"number": receipt.certificate.guarantee.number, "version": receipt.certificate.version}
    )
