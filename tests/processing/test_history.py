"""手続の経過 (the staff's history of an application): every action in words, naming the
guarantee it concerns by kind and number — never a raw action code."""

import ast
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse

from core.audit import ACTION_LABELS, EDIT_LABELS, action_label, log_action
from core.models import AuditEntry
from guarantees import issuance, tasks
from tests.accounts.otp import login_verified_staff
from tests.guarantees import conftest as guarantees

pytestmark = pytest.mark.django_db

approved = guarantees.approved
media = guarantees.media

APPS = ["accounts", "applications", "core", "fees", "guarantees", "notifications", "obligees"]


def recorded_action_codes() -> set[str]:
    """Every action code the source passes to log_action() as text (both sides of a choice)."""
    codes = set()
    for app in APPS:
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) == "log_action"
                    and len(node.args) >= 2
                ):
                    action = node.args[1]
                    options = (
                        [action.body, action.orelse] if isinstance(action, ast.IfExp) else [action]
                    )
                    codes |= {o.value for o in options if isinstance(o, ast.Constant)}
    return codes


def test_every_recorded_action_has_words():
    codes = recorded_action_codes()
    assert {"guarantee.issue_requested", "application.sent", "application.resent"} <= codes
    assert sorted(codes - set(ACTION_LABELS)) == []


def test_the_admins_own_edits_have_words(staff):
    entry = log_action(staff.branch, "branch.changed", user=staff, data={"changes": {}})
    assert action_label(entry) == "営業部・支店を変更"
    assert set(EDIT_LABELS) == {"created", "changed", "rows_changed", "deleted"}


def test_the_history_names_each_guarantee_by_kind_and_number(client, approved, staff):
    with mock.patch.object(tasks.issue_certificate, "delay"):
        issuance.issue_request(guarantee_id=approved.pk, user=staff)
    issuance.issuance_failed(approved.pk, error=RuntimeError("鍵がありません"))
    login_verified_staff(client, staff)
    url = reverse("admin:applications_application_change", args=[approved.application_id])
    history = client.get(url).content.decode().split("手続の経過")[-1]
    number = approved.number
    for words in [
        "受付(審査中へ)",
        f"前払金保証({number})を承諾",
        f"前払金保証({number})の発行を開始",
        f"前払金保証({number})の発行に失敗",
        "RuntimeError: 鍵がありません",
    ]:
        assert words in history, words
    codes = set(AuditEntry.objects.values_list("action", flat=True))
    assert "guarantee.issue_requested" in codes
    for code in codes:
        assert code not in history, code


def test_an_entry_without_a_kind_is_named_from_the_applications_guarantee(approved, staff):
    from applications.selectors import staff_timeline

    # guarantee.issue_requested records the number only: the kind comes from the guarantee.
    log_action(
        approved.application, "guarantee.cancelled", user=staff, data={"number": approved.number}
    )
    log_action(approved.application, "guarantee.removed", user=staff, data={"kind": "contract"})
    log_action(approved.application, "guarantee.expired", data={"number": "GM-1999-000001"})
    labels = [what for _at, what, _who, _detail in staff_timeline(approved.application)]
    assert f"前払金保証({approved.number})を解約" in labels
    assert "契約保証の申込を取りやめ(お客様)" in labels
    assert "保証(GM-1999-000001)の保証期間が満了" in labels
