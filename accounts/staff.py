"""What a staff member may process (README, "Branch processing"): the work sent to the staff
member's own branch (営業部・支店), or every branch's with the head-office permission (本店).

Written once, here below the apps that apply it: the applications app scopes its lists and row
locks with it, and the guarantees app the guarantee's application it locks (through the
guarantee's relation), so that no staff action on either reaches another branch's work.
"""

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet

from accounts.models import User

# The applications app declares both permissions (its model's Meta, and Django's change
# permission); named here by their strings, as accounts.groups grants them, so that accounts
# imports no app above it.
ALL_BRANCHES = "applications.view_all_branches"
PROCESS = "applications.change_application"

RowT = TypeVar("RowT", bound=Model)


def in_staff_branch(queryset: QuerySet[RowT], user: User, *, branch: str) -> QuerySet[RowT]:
    """The rows of `queryset` that staff member `user` serves, by the branch each belongs to
    (`branch`: its field path, "branch" or "application__branch"): every row for head office,
    those of the user's branch for other staff, none for anyone else (not active staff, or staff
    of no branch)."""
    if not user.is_active or not user.is_staff:
        return queryset.none()
    if user.has_perm(ALL_BRANCHES):
        return queryset
    if user.branch_id is None:
        return queryset.none()
    return queryset.filter(**{branch: user.branch_id})


def may_process(user: User) -> bool:
    """Whether `user` may act on what in_staff_branch() shows them (受付, 承諾, 発行 …): seeing
    it is not enough."""
    return user.has_perm(PROCESS)


def not_processable() -> PermissionDenied:
    """What refuses a staff member the work of another branch, or work they may only see: the
    same answer whichever app refuses it."""
    return PermissionDenied("Not an application this staff member may process.")
