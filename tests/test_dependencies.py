"""Apps depend one way (README, "Layout"), read from the source: each app imports only itself and
the apps below it.

    applications, obligee_portal → guarantees → obligees, fees, notifications, accounts → core
    members → obligees, notifications, accounts → core
    registrations → members
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)

BELOW_GUARANTEES = ["obligees", "fees", "notifications", "accounts", "core"]

# app: the project apps its modules may import besides its own.
MAY_IMPORT = {
    "core": [],
    "accounts": ["core"],
    "obligees": ["core"],
    "fees": ["core"],
    "notifications": ["core"],
    "guarantees": BELOW_GUARANTEES,
    "applications": ["guarantees", *BELOW_GUARANTEES],
    "obligee_portal": ["guarantees", *BELOW_GUARANTEES],
    # 利用者管理: invitations and people, beside guarantees (nothing below imports it).
    "members": ["accounts", "obligees", "notifications", "core"],
    # 利用申込: a company applies; its approval invites the first 管理者 through members.
    "registrations": ["members", "accounts", "obligees", "notifications", "core"],
}
PROJECT_APPS = set(MAY_IMPORT)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function (a lazy import is still a
    dependency)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def test_every_app_has_its_place():
    installed = {name.split(".")[0] for name in settings.INSTALLED_APPS}
    assert {app for app in installed if (ROOT / app).is_dir()} - {"netdesk"} == PROJECT_APPS


@pytest.mark.parametrize("app", sorted(MAY_IMPORT))
def test_an_app_imports_only_the_apps_below_it(app):
    allowed = {app, *MAY_IMPORT[app]}
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules(app)
        for name in sorted(imports_of(path))
        if name.split(".")[0] in PROJECT_APPS and name.split(".")[0] not in allowed
    ]
    assert wrong == []
