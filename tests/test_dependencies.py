"""Apps depend one way: what each app's modules may not import (read from the source)."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = [
    "core",
    "accounts",
    "obligees",
    "guarantees",
    "fees",
    "notifications",
    "applications",
    "obligee_portal",
]

# app: module prefixes it must not import. A leaf module named explicitly is allowed where its
# package is forbidden (the registry and the fee tables name the guarantee kinds).
FORBIDDEN = {
    "core": [app for app in APPS if app != "core"],
    "obligees": [
        "applications",
        "fees",
        "notifications",
        "guarantees.models",
        "guarantees.received",
        "guarantees.receiving",
        "guarantees.selectors",
        "guarantees.rendering",
        "obligee_portal",
    ],
    "fees": ["applications", "notifications", "guarantees.models", "guarantees.services"],
    "notifications": ["applications", "guarantees", "fees", "obligees"],
    "guarantees": ["applications.services", "applications.views", "applications.admin"],
    "accounts": ["applications", "guarantees", "fees", "notifications"],
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_an_app_imports_only_what_it_depends_on(app):
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules(app)
        for name in sorted(imports_of(path))
        if any(name == bad or name.startswith(f"{bad}.") for bad in FORBIDDEN[app])
    ]
    assert wrong == []
