"""Fixtures for tests against real services: a Celery worker process and an SMTP server.

    pytestmark = pytest.mark.django_db(transaction=True)

    def test_it(celery_worker, smtp_server):
        ...  # a service whose transaction queues a task on commit
        (mail,) = smtp_server.wait_for_messages(1)

- `celery_worker`: a real worker process (tests.integration.worker_app, `--pool=solo`), one per
  test module, started at the module's first test (about 2 s). Its broker is the local Redis
  (REDIS_URL, else redis://127.0.0.1:6379/15), flushed before it starts; its database is the
  test's own (pytest-django's test database, PostgreSQL or the SQLite file), so the test must be
  `transaction=True`: the worker sees committed rows only. While the test runs, the tasks it
  queues go to that worker instead of running in-process. The fixture's value is the
  harness.Worker: `stop()`, `kill()` (SIGKILL, mid-task), `start()`, `restart()`; a worker left
  stopped or killed by one test is started again for the next. Its log is printed with a failed
  test's output.
- `smtp_server`: aiosmtpd on 127.0.0.1 at the first free port from 2600, which the worker sends
  to (EMAIL_HOST, EMAIL_PORT); emptied and accepting at the start of each test
  (harness.SmtpServer: `refuse(451)`, `refuse(554, times=1)`, `accept()`, `hold()`, `release()`,
  `wait_for_messages(n)`).
- `worker_config`: override it in a test module to give that module's worker an embedded beat
  or other settings (environment variables, read by netdesk/settings.py as in production).
"""

import os

import pytest
import redis
from django.db import connection

from tests.factories import BranchFactory, UserFactory
from tests.integration.harness import (
    SmtpServer,
    Worker,
    WorkerConfig,
    database_url,
    publishing_to,
)

# Without REDIS_URL: a database of the local Redis that the development setup leaves alone.
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(scope="module")
def worker_config() -> WorkerConfig:
    return WorkerConfig()


@pytest.fixture(scope="session")
def broker_url() -> str:
    url = os.environ.get("REDIS_URL") or DEFAULT_BROKER_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("REDIS_URL"):
            pytest.fail(f"REDIS_URL={url} does not answer: {exc}")
        pytest.skip(f"no Redis at {url} for the worker (set REDIS_URL): {exc}")
    return url


@pytest.fixture(scope="module")
def _smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(_smtp):
    _smtp.reset()
    yield _smtp
    _smtp.release()  # nothing left waiting on a held answer


@pytest.fixture(scope="module")
def _worker(request, django_db_setup, broker_url, _smtp, worker_config, tmp_path_factory):
    client = redis.Redis.from_url(broker_url)
    client.flushdb()  # no task left over from an earlier run reaches this worker
    client.close()
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "netdesk.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(_smtp.port),
        "EMAIL_USE_TLS": "0",
        **worker_config.env,
    }
    module = request.module.__name__.rpartition(".")[2]
    worker = Worker(
        broker_url=broker_url,
        env=env,
        log_path=tmp_path_factory.mktemp("celery") / f"{module}.log",
        beat=worker_config.beat,
    )
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker(_worker, transactional_db):
    if not _worker.running:
        _worker.start()
    offset = _worker.log_path.stat().st_size
    with publishing_to(_worker.broker_url):
        yield _worker
    # Shown by pytest only when the test failed.
    print(f"--- worker log ({_worker.log_path}) ---\n{_worker.log_tail(offset)}")


@pytest.fixture
def staff(db):
    """Staff of branch GM, who accept, approve and issue."""
    from django.contrib.auth.models import Permission

    user = UserFactory(
        email="staff@example.jp", contractor=None, is_staff=True, branch=BranchFactory(code="GM")
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="applications",
            codename__in=["view_application", "change_application"],
        )
    )
    return user
