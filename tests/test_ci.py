"""CI (.ci/run) tests both databases a deployment may use: PostgreSQL with Redis, and the SQLite
default a fresh clone runs on; and git keeps SQLite's side files out of commits."""

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_ci_checks_lint_and_types_then_runs_the_suite_on_postgresql_and_sqlite(tmp_path):
    # A stand-in for make on PATH: it records what each `make` was asked, with the database and
    # broker it would have seen, instead of running the suite again from inside the suite.
    log = tmp_path / "calls"
    fake = tmp_path / "bin" / "make"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        f'printf "%s|%s|%s|%s\\n" "$*" "${{DATABASE_URL-unset}}" "${{REDIS_URL-unset}}" '
        f'"${{PYTEST_ARGS-}}" >> {shlex.quote(str(log))}\n'
    )
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["PATH"] = f"{fake.parent}{os.pathsep}{env['PATH']}"

    subprocess.run([str(ROOT / ".ci" / "run")], env=env, check=True, timeout=60)

    lint, postgresql, sqlite = [line.split("|") for line in log.read_text().splitlines()]
    assert lint[0] == "lint"
    assert postgresql[0] == "test"
    assert postgresql[1].startswith("postgres://") and postgresql[2].startswith("redis://")
    assert sqlite[1:3] == ["unset", "unset"]
    # The browser and real-worker tests exercise Chromium and Redis, not the database.
    assert sqlite[0] == 'test PYTEST_ARGS=-m "not browser" --ignore=tests/integration'


def _git(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.mark.skipif(
    _git("rev-parse", "--is-inside-work-tree").returncode != 0, reason="not a git checkout"
)
def test_git_ignores_the_files_sqlite_writes_beside_its_database():
    names = [
        "db.sqlite3",
        "db.sqlite3-wal",
        "db.sqlite3-shm",
        "db.sqlite3-journal",
        "var/test-db.sqlite3",
        "var/test-db.sqlite3-wal",
        "var/test-db.sqlite3-shm",
    ]
    ignored = _git("check-ignore", "--no-index", *names).stdout.split()
    assert ignored == names
