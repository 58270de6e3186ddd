"""gunicorn as the Procfile starts it, on loopback, and wrk against it."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
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

    def __init__(self, env: dict[str, str], *, floor: bool = False, log: Path | None = None,
                 port: int | None = None):
        self.port = port or free_port()  # given when a setting must name it (FEEDSVC_BASE_URL)
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
        self.workers = int(full_env.get("WEB_CONCURRENCY", "2"))  # gunicorn_conf's default

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
        """Seconds from start until ``path`` has answered 200 from every worker.

        A worker that starts on a warm index accepts no connection until its first load is done
        (or five seconds pass), and the kernel hands a connection to whichever worker accepts
        first: so "no 503" says nothing of a worker that is not accepting yet. Each answer's
        worker is found from the connection (see :meth:`answered_by`), in bursts of concurrent
        fresh connections so that every worker gets some.
        """
        answered: set[int] = set()
        anonymous = 0
        with ThreadPoolExecutor(8) as pool:
            while time.perf_counter() - self.started < limit:
                workers = set(self.worker_pids())
                for status, worker in pool.map(lambda _: self._probe(path), range(8)):
                    if status == 200 and worker is not None:
                        answered.add(worker)
                    anonymous += status == 200 and worker is None
                if len(workers) >= self.workers and answered >= workers:
                    return time.perf_counter() - self.started
                if anonymous >= 40 and not answered:
                    # A worker class that closes every connection (sync): the old criterion, a
                    # wrk burst of new connections with no error status in it.
                    argv = ["wrk", "-t2", "-c16", "-d1s", "-H", "Connection: close", self.url + path]
                    out = subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout
                    if "Requests/sec" in out and "Non-2xx" not in out:
                        return time.perf_counter() - self.started
                time.sleep(0.05)
        raise RuntimeError(f"{self.url}{path} not ready on every worker within {limit}s (answered: {answered})")

    def _probe(self, path: str) -> tuple[int, int | None]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            return response.status, self.answered_by(conn)
        except OSError:
            return 0, None
        finally:
            conn.close()

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def answered_by(self, conn: http.client.HTTPConnection) -> int | None:
        """The worker holding the server's end of this connection, still open after its answer
        (a kept-alive one), from /proc/net/tcp and the workers' file descriptors; None if closed."""
        if conn.sock is None:
            return None
        local = conn.sock.getsockname()[1]
        inode = None
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            # The server's end: local 127.0.0.1:port, remote our port (hex; the address little-endian).
            if fields[1] == f"0100007F:{self.port:04X}" and fields[2] == f"0100007F:{local:04X}":
                inode = fields[9]
                break
        if inode is None or inode == "0":
            return None
        target = f"socket:[{inode}]"
        for pid in self.worker_pids():
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                        return pid
                except OSError:
                    continue
        return None

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker process, MB."""
        found = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            found.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
        return found

    def stop(self) -> None:
        if self.process.poll() is not None:
            return  # stopped already
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
