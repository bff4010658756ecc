"""`make lint` checks the style and the types, and the pre-commit hooks run the same checks."""

import shlex
import subprocess
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def lint_commands() -> list[str]:
    """What `make lint` runs after the set-up: its tools with their arguments."""
    dry_run = subprocess.run(
        ["make", "-n", "--no-print-directory", "lint"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    tools = ("ruff", "mypy")
    return [
        " ".join(word.removeprefix(".venv/bin/") for word in shlex.split(line) if "=" not in word)
        for line in dry_run.splitlines()
        if any(f".venv/bin/{tool}" in line for tool in tools)
    ]


def test_make_lint_checks_the_style_the_formatting_and_the_types():
    assert sorted(lint_commands()) == ["mypy .", "ruff check .", "ruff format --check ."]


def test_the_pre_commit_hooks_run_what_make_lint_runs():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    commands = []
    for hook in hooks:
        words = [w.removeprefix(".venv/bin/") for w in shlex.split(hook["entry"]) if "=" not in w]
        words = [w for w in words if w not in ("env", "--force-exclude")]
        # Hooks given the changed files check those; mypy checks the whole project (".").
        commands.append(
            " ".join(words) if not hook.get("pass_filenames", True) else " ".join([*words, "."])
        )
    assert sorted(commands) == sorted(lint_commands())
    # The project's own tools, at the locked versions: no hook installs another copy.
    assert {repo["repo"] for repo in config["repos"]} == {"local"}
