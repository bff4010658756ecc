"""The benches' shared set-up: they drop and recreate their database, so never a working one."""

import os

import pytest

from bench import environment


@pytest.mark.parametrize(
    ("configured", "database", "used"),
    [
        # bench/run.py: DATABASE_URL's own database only when it is named for the bench.
        ("postgres://u@db:5432/netdesk", None, "postgres://u@db:5432/netdesk_bench"),
        ("postgres://u@db:5432/my_bench", None, "postgres://u@db:5432/my_bench"),
        (None, None, "postgres://postgres@127.0.0.1:5432/netdesk_bench"),
        # bench/issuance.py, bench/obligee.py: always their own database on that server.
        (
            "postgres://u@db:5432/netdesk",
            "netdesk_bench_obl",
            "postgres://u@db:5432/netdesk_bench_obl",
        ),
        (
            "postgres://u@db:5432/my_bench",
            "netdesk_bench_obl",
            "postgres://u@db:5432/netdesk_bench_obl",
        ),
    ],
)
def test_a_bench_uses_a_database_of_its_own(monkeypatch, configured, database, used):
    if configured:
        monkeypatch.setenv("DATABASE_URL", configured)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    assert environment.database_url(database) == used


def test_a_bench_refuses_a_database_other_than_postgresql(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///db.sqlite3")
    with pytest.raises(SystemExit, match="bench needs PostgreSQL"):
        environment.database_url()


def test_the_environment_reaches_the_servers_a_bench_starts(monkeypatch):
    monkeypatch.setenv("DEBUG_FILE", "/run/secrets/debug")  # settings would prefer it to DEBUG
    for name in ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", *environment.PRODUCTION]:
        monkeypatch.setenv(name, "before")  # so that the test restores each of them
    chosen = environment.configure_environment("postgres://u@db/netdesk_bench", REDIS_URL="r")

    assert {name: os.environ[name] for name in chosen} == chosen
    assert chosen["DEBUG"] == "0" and chosen["REDIS_URL"] == "r" and len(chosen["SECRET_KEY"]) > 40
    assert "DEBUG_FILE" not in os.environ
