"""Row locks on a guarantee and its application, taken in one order everywhere: the application
first, then the guarantee.

Staff actions (承諾, 発行, 交付, 変更, 解約, 差戻し) lock the application to check and change its state;
the worker's issuance and amendment and the nightly expiry change the guarantee and then write
the application (発行済 completes it). Were one side to lock the guarantee first, a staff click
arriving while the worker signs would hold the application and wait for the guarantee while the
worker held the guarantee and waited for the application: PostgreSQL breaks such a deadlock by
failing one of them. In one order, the later comer waits its turn and then sees the state the
earlier one left (a second 発行 is refused with the message the admin shows).
"""

from applications.models import Application
from applications.selectors import locked_for_staff
from guarantees.models import Guarantee


def _application_id(guarantee_id: int) -> int | None:
    # A guarantee never moves to another application: reading this unlocked is safe.
    return (
        Guarantee.objects.filter(pk=guarantee_id).values_list("application_id", flat=True).first()
    )


def locked_guarantee(guarantee_id: int, user) -> tuple[Application, Guarantee]:
    """The application (branch-scoped for `user`: PermissionDenied otherwise) and the guarantee,
    locked in that order."""
    application = locked_for_staff(_application_id(guarantee_id), user)
    guarantee = Guarantee.objects.select_for_update().get(pk=guarantee_id)
    guarantee.application = application
    return application, guarantee


def locked_for_worker(guarantee_id: int) -> tuple[Application, Guarantee]:
    """The application (with what a certificate names of it) and the guarantee, locked in that
    order, for the worker's issuance and the sweeps; Guarantee.DoesNotExist if there is none."""
    application_id = _application_id(guarantee_id)
    if application_id is None:
        raise Guarantee.DoesNotExist(f"No guarantee {guarantee_id}.")
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("obligee", "contractor", "branch")
        .get(pk=application_id)
    )
    guarantee = Guarantee.objects.select_for_update().get(pk=guarantee_id)
    guarantee.application = application
    return application, guarantee
