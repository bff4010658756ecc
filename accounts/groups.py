"""The staff roles, as Django groups with their permissions (used by the demo and by setup)."""

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet

BRANCH_STAFF = "営業部・支店 担当者"
HEAD_OFFICE = "本店 業務部"

# (app_label, codename) pairs.
_BRANCH_PERMISSIONS = [
    ("applications", "view_application"),
    ("applications", "change_application"),  # process: accept, return, approve, messages
    ("guarantees", "view_guarantee"),
    ("obligees", "view_obligee"),
    ("fees", "view_feetable"),
    ("fees", "view_feetier"),
    ("fees", "view_feeperiodfactor"),
    # 利用申込 sent to the branch: change allows 承認 and お断り, nothing of it is edited.
    ("registrations", "view_registration"),
    ("registrations", "change_registration"),
]
_HEAD_OFFICE_PERMISSIONS = [
    *_BRANCH_PERMISSIONS,
    ("applications", "view_all_branches"),
    ("obligees", "add_obligee"),
    ("obligees", "change_obligee"),
    *[
        ("fees", f"{verb}_{model}")
        for verb in ("add", "change", "delete")
        for model in ("feetable", "feetier", "feeperiodfactor")
    ],
    # Contractor and obligee accounts; staff accounts, their second factors, groups and
    # permissions are for superusers only (accounts.admin.UserAdmin, GroupAdmin).
    *[
        ("accounts", f"{verb}_{model}")
        for verb in ("view", "add", "change")
        for model in ("user", "contractor", "branch")
    ],
    # Invitations (members.admin): an obligee's or a company's first 管理者; change allows the
    # actions 再送信 and 取消し, nothing of an invitation is edited.
    *[("members", f"{verb}_invitation") for verb in ("view", "add", "change")],
    ("otp_totp", "view_totpdevice"),
    ("otp_static", "view_staticdevice"),
    ("axes", "view_accessattempt"),
    ("axes", "delete_accessattempt"),  # unlock a locked-out address
    # The e-mail outbox: every branch's customers, so head office only. Nobody edits a message;
    # the change permission allows 再送信 of a failed one (notifications.admin).
    ("notifications", "view_outboxmessage"),
    ("notifications", "change_outboxmessage"),
    # The renewal of document timestamps covers every branch's certificates: its runs, read-only.
    ("guarantees", "view_renewalrun"),
]


def _permissions(pairs: Iterable[tuple[str, str]]) -> QuerySet[Permission]:
    condition = Q()
    for app_label, codename in pairs:
        condition |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(condition)


def ensure_staff_groups() -> dict[str, Group]:
    """Create or refresh the two staff groups; idempotent."""
    groups = {}
    for name, pairs in [
        (BRANCH_STAFF, _BRANCH_PERMISSIONS),
        (HEAD_OFFICE, _HEAD_OFFICE_PERMISSIONS),
    ]:
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(pairs))
        groups[name] = group
    return groups
