"""Run wrk and read its --latency report."""

import re
import subprocess
from dataclasses import dataclass

TIMEOUT_SECONDS = 30  # per request
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_PERCENTILE = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_REQUESTS = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass(frozen=True)
class WrkResult:
    p50_ms: float
    p99_ms: float
    rps: float
    requests: int
    bad_responses: int  # status outside 2xx/3xx
    timeouts: int


def run(url: str, seconds: int, headers: dict[str, str], threads: int, connections: int):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    # wrk's default 2 s timeout drops the slowest requests from its latency figures: a slow page
    # would look faster than it is. Timeouts are reported (WrkResult.timeouts) and fail the page.
    command += ["--timeout", f"{TIMEOUT_SECONDS}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 30)
    return parse(done.stdout)


def parse(output: str) -> WrkResult:
    percentiles = {int(p): float(v) * _UNIT_MS[u] for p, v, u in _PERCENTILE.findall(output)}
    rps, requests = _RPS.search(output), _REQUESTS.search(output)
    if 50 not in percentiles or 99 not in percentiles or not rps or not requests:
        raise ValueError(f"unexpected wrk output:\n{output}")
    non_2xx = _NON_2XX.search(output)
    sockets = _SOCKET.search(output)
    return WrkResult(
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
        rps=float(rps.group(1)),
        requests=int(requests.group(1)),
        bad_responses=int(non_2xx.group(1)) if non_2xx else 0,
        timeouts=int(sockets.group(4)) if sockets else 0,
    )
