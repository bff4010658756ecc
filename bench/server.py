"""gunicorn started the production way, on a free loopback port, and always stopped."""

import http.client
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One GET without following redirects: a 302 to the login page must show as a 302."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@contextmanager
def gunicorn(cwd: Path, env: dict[str, str], log_path: Path, workers: int = 2) -> Iterator[int]:
    """Yield the port of a running `gunicorn netdesk.wsgi`; stop it however the block ends."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "netdesk.wsgi"]
    command += ["-w", str(workers), "-b", f"{HOST}:{port}", *_version_options()]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(process, port, log_path)
            yield port
        finally:
            _stop(process)


def _version_options() -> list[str]:
    import gunicorn

    # gunicorn >= 25.1 opens a control socket at one fixed path per user and unlinks whatever is
    # there: without this flag the bench would take it from any other gunicorn of this user.
    return ["--no-control-socket"] if gunicorn.version_info >= (25, 1) else []


def _wait_ready(process: subprocess.Popen, port: int, log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}); see {log_path}")
        try:
            if get(port, "/healthz/")[0] == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s; see {log_path}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
