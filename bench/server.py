"""gunicorn as the Procfile starts it, on loopback, and wrk against it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from feedsvc.web.serve import procfile_command

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(os.sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One gunicorn master: the real app (Procfile) or the floor app, with the same settings."""

    def __init__(self, env: dict[str, str], *, floor: bool = False, log: Path | None = None):
        self.port = free_port()
        argv = procfile_command()
        argv[0] = str(VENV_BIN / argv[0])
        if floor:
            argv = argv[:-1] + ["--pythonpath", str(HERE), "floor_app:create_app()"]
        # The Procfile binds 0.0.0.0:$PORT; the bench adds a loopback-only bind over it.
        argv += ["--bind", f"127.0.0.1:{self.port}"]
        full_env = {**os.environ, **env, "PORT": str(self.port)}
        out = open(log or os.devnull, "ab")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(argv, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def get(self, path: str, headers: dict | None = None, timeout: float = 10):
        """(status, headers, body) of one request; errors are answers too."""
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def first_answer(self, path: str = "/", limit: float = 60) -> tuple[float, int, dict]:
        """Seconds from start to the first HTTP answer, its status and headers."""
        while time.perf_counter() - self.started < limit:
            try:
                status, headers, _ = self.get(path, timeout=2)
                return time.perf_counter() - self.started, status, headers
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"no answer from {self.url} within {limit}s")

    def wait_ready(self, path: str = "/healthz", limit: float = 900) -> float:
        """Seconds from start until ``path`` answers 200 on every worker.

        A loading worker accepts connections and answers 503, and one client asking in turn, or
        wrk on kept-alive connections, is mostly served by one worker; so readiness is a short wrk
        burst of new connections (Connection: close) with no 503 in it.
        """
        while time.perf_counter() - self.started < limit:
            try:
                status = self.get(path, timeout=5)[0]
            except OSError:
                status = 0
            if status == 200:
                argv = ["wrk", "-t2", "-c16", "-d1s", "-H", "Connection: close", self.url + path]
                out = subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout
                if "Requests/sec" in out and "Non-2xx" not in out:
                    return time.perf_counter() - self.started
            time.sleep(0.1)
        raise RuntimeError(f"{self.url}{path} not ready within {limit}s")

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker process, MB."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        found = []
        for pid in children:
            status = Path(f"/proc/{pid}/status").read_text()
            found.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
        return found

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def wrk(url: str, seconds: float, headers: dict | None = None, connections: int = 16) -> float:
    """Requests per second from a time-bounded wrk run on loopback; raises on any error status."""
    assert url.startswith("http://127.0.0.1:"), "wrk runs on loopback only"
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run(argv + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    if "Non-2xx or 3xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors against {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
