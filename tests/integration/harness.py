"""Real services for the integration tests: a Celery worker in its own process, against the local
Redis and the test database, and an SMTP server (aiosmtpd) in a thread of the test process.

The fixtures in conftest.py build these; the classes are here so that a test can also drive
them directly (stop, kill, restart the worker; make the SMTP server refuse or hold messages).
"""

import asyncio
import contextlib
import dataclasses
import email
import email.policy
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import kombu.pools
from aiosmtpd.controller import Controller
from django.conf import settings

from netdesk.celery import app as celery_app

# The ports this project's SMTP test servers take, the first free one.
SMTP_PORTS = range(2600, 2700)


def wait_until(condition: Callable[[], object], *, timeout: float = 20, what: str = "it"):
    """Poll `condition` until it returns something true, and return that; fail after `timeout`
    seconds saying what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Waited {timeout} s for {what} in vain.")
        time.sleep(0.05)


# SMTP


@dataclasses.dataclass(frozen=True)
class Arrival:
    """One message that reached the end of DATA, and what the server answered."""

    at: float  # time.monotonic()
    message_id: str
    answer: str


class SmtpServer:
    """An SMTP server on 127.0.0.1 that keeps what it accepts (`messages`, parsed e-mails) and
    notes every message that reached it (`arrivals`), whatever it answered.

    `refuse(451)` answers every message with a temporary refusal, `refuse(554)` with a permanent
    one, until `accept()`; `refuse(451, times=2)` refuses the next two only. `hold()` makes it
    wait before answering (noted as an arrival answered "held"), until `release()`: the sender
    is then in the middle of its SMTP conversation, with the whole message sent (to kill it
    there).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages: list[email.message.EmailMessage] = []
        self.arrivals: list[Arrival] = []
        self._refusal: tuple[int, int | None] | None = None  # (code, how many more or None)
        self._held = threading.Event()
        self._controller: Controller | None = None
        self.port: int | None = None

    def start(self) -> None:
        # aiosmtpd logs every SMTP line at INFO from its own thread, which outlives the output
        # capture of the test that started it: only its warnings are worth reading.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.port = _free_port(SMTP_PORTS)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        self.release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def reset(self) -> None:
        """Forget what was received and accept again (between tests)."""
        with self._lock:
            self.messages.clear()
            self.arrivals.clear()
            self._refusal = None
        self.release()

    def refuse(self, code: int = 451, *, times: int | None = None) -> None:
        with self._lock:
            self._refusal = (code, times)

    def accept(self) -> None:
        with self._lock:
            self._refusal = None

    def hold(self) -> None:
        self._held.set()

    def release(self) -> None:
        self._held.clear()

    def wait_for_messages(self, count: int, *, timeout: float = 20):
        """The accepted messages, once there are at least `count`."""
        return wait_until(
            lambda: list(self.messages) if len(self.messages) >= count else None,
            timeout=timeout,
            what=f"{count} e-mail(s) at the SMTP server",
        )

    def wait_for_arrivals(self, count: int, *, timeout: float = 20) -> list[Arrival]:
        return wait_until(
            lambda: list(self.arrivals) if len(self.arrivals) >= count else None,
            timeout=timeout,
            what=f"{count} message(s) reaching the SMTP server",
        )

    # aiosmtpd's handler hook, run in the server's own thread and event loop.
    async def handle_DATA(self, server, session, envelope) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if self._held.is_set():
            with self._lock:
                self.arrivals.append(Arrival(time.monotonic(), parsed["Message-ID"], "held"))
            # Cancelled here by aiosmtpd when the sender's connection is lost.
            while self._held.is_set():
                await asyncio.sleep(0.05)
        with self._lock:
            code = None
            if self._refusal is not None:
                code, times = self._refusal
                if times is not None:
                    self._refusal = (code, times - 1) if times > 1 else None
            if code is None:
                answer = "250 2.0.0 OK"
                self.messages.append(parsed)
            elif code >= 500:
                answer = f"{code} 5.7.1 Message refused"
            else:
                answer = f"{code} 4.3.0 Try again later"
            self.arrivals.append(Arrival(time.monotonic(), parsed["Message-ID"], answer))
        return answer


def _free_port(ports: range) -> int:
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"No free port in {ports.start}–{ports.stop - 1} for the SMTP server.")


# Celery


def database_url(settings_dict: dict) -> str:
    """DATABASE_URL for another process to open the database of `settings_dict` (the test
    database, once pytest-django has created it)."""
    name = settings_dict["NAME"]
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(name).resolve()}"
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}@" if password else f"{user}@"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(name, safe='')}"


@dataclasses.dataclass
class WorkerConfig:
    """How a test module's worker runs (its `worker_config` fixture): with an embedded beat, and
    with environment variables that netdesk/settings.py reads, as in production."""

    beat: bool = False
    env: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Worker:
    """`celery worker --pool=solo` in a process group of its own (with `-B`, its beat too), so
    that `kill()` takes down everything, as a crash of the machine would."""

    broker_url: str
    env: dict[str, str]
    log_path: Path
    beat: bool = False
    process: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, *, timeout: float = 30) -> None:
        assert not self.running, "the worker is running already"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.integration.worker_app",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            f"--hostname=integration-{os.getpid()}@%h",
            # No other workers to meet: each of these would cost a second or more at start.
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        if self.beat:
            schedule = self.log_path.with_suffix(".beat-schedule")
            command += ["--beat", f"--schedule={schedule}"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(lambda: self._ready_since(offset), timeout=timeout, what="the worker to start")

    def _ready_since(self, offset: int) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"The worker exited with {self.process.returncode}:\n{self.log_tail(offset)}"
            )
        return " ready." in self.log_tail(offset)

    def log_tail(self, offset: int = 0) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def stop(self, *, timeout: float = 20) -> None:
        """Warm shutdown: the running task finishes, then the worker (and its beat) exits."""
        if self.running:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        self._kill_group()

    def kill(self) -> None:
        """SIGKILL, in the middle of whatever it is doing: nothing is acknowledged or cleaned up."""
        self._kill_group()

    def restart(self) -> None:
        self.stop()
        self.start()

    def _kill_group(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextlib.contextmanager
def publishing_to(broker_url: str):
    """Within the block, the test process sends tasks to `broker_url` instead of running them
    in-process: to a real worker's broker, or to one that does not answer."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.broker_url
    conf.task_always_eager, conf.broker_url = False, broker_url
    _forget_broker_connections()
    try:
        yield
    finally:
        conf.task_always_eager, conf.broker_url = saved
        _forget_broker_connections()


def _forget_broker_connections() -> None:
    kombu.pools.reset()  # closes the pooled connections to the previous broker
    # Celery keeps its pools once made; a running app has no public way to change brokers.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def unreachable_broker_url() -> str:
    """A Redis URL where nothing listens: a port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"
