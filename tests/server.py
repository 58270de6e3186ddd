"""A real gunicorn, started from the Procfile's exact `web:` command, for end-to-end tests.

The command runs through ``bash -c`` with ``cwd`` = the repository root and ``PORT`` set, as a
PaaS runs a Procfile, in a session of its own so that the whole process group can be killed at
the end. Its stdout and stderr go to files, read back with :meth:`Server.stdout`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "Procfile"
BOOT_TIMEOUT = 30.0
_MASTER = re.compile(r"\[(\d+)\] INFO gunicorn\.error: Starting gunicorn")
_BOOTED = re.compile(r"gunicorn\.error: Booting worker with pid: (\d+)")
_ACCESS = re.compile(r'^\S+ \S+ \[(\d+)\] INFO gunicorn\.access: .*" (\d{3}) ')


def procfile_web_command() -> str:
    """The `web:` line of the Procfile, exactly as written (a shell command)."""
    for line in PROCFILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("web:"):
            return line[len("web:"):].strip()
    raise AssertionError(f"{PROCFILE} has no web: line")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_environment() -> dict[str, str]:
    """The caller's environment without any FEEDSVC_* or gunicorn knobs, the venv first on PATH."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FEEDSVC_", "GUNICORN_")) and k not in ("PORT", "WEB_CONCURRENCY")}
    # Like an activated venv: `gunicorn` on PATH is this interpreter's.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "/usr/bin:/bin")])
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Server:
    """One gunicorn master and its workers on a free port."""

    def __init__(self, log_dir: Path, env: dict[str, str] | None = None, *, workers: int | None = 1):
        self.port = free_port()
        self.env = base_environment()
        self.env["PORT"] = str(self.port)
        if workers is not None:
            self.env["WEB_CONCURRENCY"] = str(workers)
        self.log_dir = Path(log_dir)
        # gunicorn 27 opens a control socket under $XDG_RUNTIME_DIR (else ~/.gunicorn): one per
        # server, in a short path (a unix socket path is limited to ~107 bytes), removed by stop().
        self.runtime_dir = tempfile.mkdtemp(prefix="feedsvc-gunicorn-")
        self.env["XDG_RUNTIME_DIR"] = self.runtime_dir
        self.env.update(env or {})
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = self.log_dir / f"gunicorn-{self.port}.stdout"
        self.stderr_path = self.log_dir / f"gunicorn-{self.port}.stderr"
        self.command = procfile_web_command()
        self.process: subprocess.Popen | None = None

    # -- life cycle --------------------------------------------------------------------------

    def start(self, timeout: float = BOOT_TIMEOUT) -> Server:
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                ["bash", "-c", self.command], cwd=ROOT, env=self.env, stdout=out, stderr=err,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = BOOT_TIMEOUT) -> dict:
        """Poll /healthz until it answers 200; its JSON. Fails with the server's output."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode} before /healthz was 200"
                                     f"\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as response:
                    if response.status == 200:
                        return json.load(response)
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
            except (OSError, ValueError) as exc:
                last = repr(exc)
            time.sleep(0.05)
        raise AssertionError(f"/healthz not 200 after {timeout}s (last: {last})\n{self.output()}")

    def worker_pids(self) -> set[int]:
        """Pids of the workers gunicorn has booted (from its log)."""
        return {int(pid) for pid in _BOOTED.findall(self.stdout())}

    def access_pids(self, agent: str, status: int | None = None) -> set[int]:
        """Pids of the workers whose access log lines show requests from this User-Agent."""
        found = set()
        for line in self.stdout().splitlines():
            match = _ACCESS.match(line)
            if match and line.endswith(f'"{agent}"') and (status is None or int(match.group(2)) == status):
                found.add(int(match.group(1)))
        return found

    def wait_all_workers_ready(self, timeout: float = BOOT_TIMEOUT) -> None:
        """Until every booted worker has answered /healthz with 200 (each loads the corpus itself)."""
        agent = f"feedsvc-tests-ready-{self.port}"
        workers = int(self.env.get("WEB_CONCURRENCY", "2"))
        deadline = time.monotonic() + timeout
        with ThreadPoolExecutor(4) as pool:
            while True:
                booted = self.worker_pids()
                if len(booted) >= workers and booted <= self.access_pids(agent, 200):
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(f"not every worker answered /healthz 200 within {timeout}s (booted "
                                         f"{booted}; this reads gunicorn's log on stdout)\n{self.output()}")
                list(pool.map(lambda _: self.get("/healthz", {"User-Agent": agent}), range(8)))
                time.sleep(0.05)

    def master_pid(self, timeout: float = 5.0) -> int:
        """gunicorn's master pid, from its own 'Starting gunicorn' log line."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = _MASTER.search(self.stdout())
            if found:
                return int(found.group(1))
            time.sleep(0.05)
        raise AssertionError(f"no 'Starting gunicorn' line in stdout\n{self.output()}")

    def wait_exit(self, timeout: float) -> int | None:
        """The master's exit status, or None if it is still running after ``timeout``."""
        assert self.process is not None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        """SIGTERM the process group, wait for the master, then SIGKILL whatever is left."""
        if self.process is None:
            return
        pgid = self.process.pid  # start_new_session: the group is the session leader's pid
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(25)  # gunicorn_conf's graceful_timeout is 20 s
        finally:
            try:
                os.killpg(pgid, signal.SIGKILL)  # stragglers: workers, or a master that hung
            except ProcessLookupError:
                pass
            if self.process.poll() is None:
                self.process.wait(5)
            shutil.rmtree(self.runtime_dir, ignore_errors=True)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- talking to it -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 10.0):
        """(status, headers, body) of one request on a fresh connection; errors are not raised."""
        request = urllib.request.Request(self.url(path), headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read()

    def healthz(self) -> dict:
        status, _, body = self.get("/healthz")
        assert status == 200, (status, body[:300])
        return json.loads(body)

    def accept_queue(self) -> int:
        """Connections waiting in the listening socket's backlog (not yet accepted by a worker)."""
        port = f"{self.port:04X}"
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(":" + port) and fields[3] == "0A":  # 0A: LISTEN
                return int(fields[4].split(":")[1], 16)  # rx_queue of a listener: its accept backlog
        raise AssertionError(f"no listening socket on port {self.port}")

    def wait_accepted(self, timeout: float = 10.0) -> None:
        """Until the workers have accepted every connection made so far."""
        deadline = time.monotonic() + timeout
        while self.accept_queue():
            assert time.monotonic() < deadline, f"connections still in the backlog after {timeout}s"
            time.sleep(0.02)

    # -- its output --------------------------------------------------------------------------

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def output(self) -> str:
        return f"--- stdout ---\n{self.stdout()[-4000:]}\n--- stderr ---\n{self.stderr()[-4000:]}"

    def wait_for_log(self, needle: str, timeout: float = 5.0, start: int = 0) -> str:
        """The first stdout line (from offset ``start``) containing ``needle``."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.stdout()[start:].splitlines():
                if needle in line:
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} never appeared in gunicorn's stdout\n{self.output()}")
            time.sleep(0.05)
