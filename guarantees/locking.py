"""Row locks on a guarantee and its application, taken in one order everywhere: the application
first, then the guarantee.

Staff actions (承諾, 発行, 交付, 変更, 解約, 差戻し) lock the application to check and change its state;
the worker's issuance and amendment and the nightly expiry change the guarantee and then write
the application (発行済 completes it). Were one side to lock the guarantee first, a staff click
arriving while the worker signs would hold the application and wait for the guarantee while the
worker held the guarantee and waited for the application: PostgreSQL breaks such a deadlock by
failing one of them. In one order, the later comer waits its turn and then sees the state the
earlier one left (a second 発行 is refused with the message the admin shows).

The application is reached through the guarantee's relation (guarantees sit below applications
and do not import them): the first query joins it and locks its row only (FOR UPDATE OF the
application), the second locks the guarantee. The locked guarantee carries the application as
`guarantee.application`, with what a certificate names of it (obligee, contractor, branch).
"""

from django.db.models import QuerySet

from accounts.models import User
from accounts.staff import in_staff_branch, may_process, not_processable
from guarantees.models import Guarantee


def _locked(guarantees: QuerySet[Guarantee]) -> Guarantee | None:
    """The guarantee `guarantees` holds (at most one), its application's row locked and then
    its own; None if there is none."""
    found = list(
        guarantees.select_related(
            "application__obligee", "application__contractor", "application__branch"
        ).select_for_update(of=("application",))
    )
    if not found:
        return None
    guarantee = Guarantee.objects.select_for_update(of=("self",)).get(pk=found[0].pk)
    # A guarantee never moves to another application: the one locked above is its own.
    guarantee.application = found[0].application
    return guarantee


def locked_guarantee(guarantee_id: int, user: User) -> Guarantee:
    """The guarantee and its application, locked in that order, for a staff action of `user`:
    PermissionDenied unless `user` may process the application (accounts.staff: of their branch,
    or head office; never a draft), as applications.selectors.locked_for_staff refuses."""
    guarantee = _locked(
        in_staff_branch(
            Guarantee.objects.filter(pk=guarantee_id), user, branch="application__branch"
        )
    )
    if guarantee is None or not guarantee.application.is_with_branch or not may_process(user):
        raise not_processable()
    return guarantee


def locked_for_worker(guarantee_id: int) -> Guarantee:
    """The guarantee and its application, locked in that order, for the worker's issuance and
    the sweeps; Guarantee.DoesNotExist if there is none."""
    guarantee = _locked(Guarantee.objects.filter(pk=guarantee_id))
    if guarantee is None:
        raise Guarantee.DoesNotExist(f"No guarantee {guarantee_id}.")
    return guarantee
