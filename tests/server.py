"""The one gunicorn harness of the tests: the Procfile's exact `web:` command on a free port.

The command runs through ``bash -c`` with ``cwd`` = the repository root and ``PORT`` set, as a
PaaS runs a Procfile, in a session of its own so that the whole process group can be killed at
the end. Its output goes through pipes that this process copies to files (so a test may cap the
server's own file sizes with RLIMIT_FSIZE), read back with :meth:`Server.stdout`. A test can give
another command and folder (a wheel's, an archive's), and a ``preexec_fn``.
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
import threading
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


def base_environment(bin_dir: Path | None = None) -> dict[str, str]:
    """The caller's environment without any FEEDSVC_* or gunicorn knobs, a venv's bin first on PATH."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FEEDSVC_", "GUNICORN_", "FORWARDED_ALLOW", "PROMETHEUS_"))
           and k not in ("PORT", "WEB_CONCURRENCY")}
    # Like an activated venv: `gunicorn` on PATH is this interpreter's (or the given venv's).
    env["PATH"] = os.pathsep.join([str(bin_dir or Path(sys.executable).parent), env.get("PATH", "/usr/bin:/bin")])
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _process_table() -> dict[int, int]:
    """pid -> parent pid of every live (not zombie) process, from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read().decode("latin-1")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if fields[0] not in ("Z", "X"):
            found[int(entry)] = int(fields[1])
    return found


class Server:
    """One gunicorn master and its workers on a free port."""

    def __init__(self, log_dir: Path, env: dict[str, str] | None = None, *, workers: int | None = 1,
                 command: str | None = None, cwd: Path = ROOT, bin_dir: Path | None = None, preexec_fn=None,
                 inherit_env: bool = True):
        """``inherit_env=False``: the server sees only ``env`` (with PORT and its runtime folder), as a
        platform's dyno or a fresh machine would run it."""
        self.port = free_port()
        self.env = base_environment(bin_dir) if inherit_env else {}
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
        self.command = command or procfile_web_command()
        self.cwd = cwd
        self.preexec_fn = preexec_fn
        self.process: subprocess.Popen | None = None
        self._copiers: list[threading.Thread] = []

    @classmethod
    def for_corpus(cls, workdir: Path, corpus: Path, *, workers: int = 2, index_path: str | None = None,
                   reload_interval: float | None = None, env: dict[str, str] | None = None, **options) -> Server:
        """A server on ``corpus`` with its own index in ``workdir`` (the reliability tests' usual set-up)."""
        index = index_path if index_path is not None else str(Path(workdir) / "index.sqlite3")
        settings = {"FEEDSVC_CORPUS_DIR": str(corpus), "FEEDSVC_INDEX_PATH": index}
        if reload_interval is not None:
            settings["FEEDSVC_RELOAD_INTERVAL"] = str(reload_interval)
        return cls(Path(workdir) / "logs", {**settings, **(env or {})}, workers=workers, **options)

    # -- life cycle --------------------------------------------------------------------------

    def start(self, timeout: float = BOOT_TIMEOUT, *, wait: bool = True) -> Server:
        self.process = subprocess.Popen(
            ["bash", "-c", self.command], cwd=self.cwd, env=self.env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=self.preexec_fn,
        )
        for pipe, path in ((self.process.stdout, self.stdout_path), (self.process.stderr, self.stderr_path)):
            copier = threading.Thread(target=self._copy, args=(pipe, path), daemon=True)
            copier.start()
            self._copiers.append(copier)
        if wait:
            self.wait_healthy(timeout)
        return self

    @staticmethod
    def _copy(pipe, path: Path) -> None:
        with pipe, open(path, "ab", buffering=0) as log:
            for line in iter(pipe.readline, b""):
                log.write(line)

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
                exc.close()  # it holds the connection
                last = f"HTTP {exc.code}"
            except (OSError, ValueError) as exc:
                last = repr(exc)
            time.sleep(0.05)
        raise AssertionError(f"/healthz not 200 after {timeout}s (last: {last})\n{self.output()}")

    @property
    def master(self) -> int:
        """gunicorn's master pid (bash execs a simple command, but its own log line is the proof)."""
        if getattr(self, "_master", None) is None:
            self._master = self.master_pid()
        return self._master

    def booted_pids(self) -> set[int]:
        """Pids of the workers gunicorn has booted so far (from its log)."""
        return {int(pid) for pid in _BOOTED.findall(self.stdout())}

    def worker_pids(self) -> set[int]:
        """The master's live children (from /proc)."""
        return {pid for pid, parent in _process_table().items() if parent == self.master}

    def tree(self) -> set[int]:
        """The master and every live process descended from it (workers, their helpers)."""
        table = _process_table()
        found, frontier = set(), {self.master} & table.keys()
        while frontier:
            found |= frontier
            frontier = {pid for pid, parent in table.items() if parent in frontier} - found
        return found

    def access_pids(self, agent: str, status: int | None = None) -> set[int]:
        """Pids of the workers whose access log lines show requests from this User-Agent."""
        found = set()
        for line in self.stdout().splitlines():
            match = _ACCESS.match(line)
            if match and line.endswith(f'"{agent}"') and (status is None or int(match.group(2)) == status):
                found.add(int(match.group(1)))
        return found

    def wait_ready(self, timeout: float = BOOT_TIMEOUT, pids: set[int] | None = None) -> None:
        """Until every live worker (or each of ``pids``) has answered /healthz with 200."""
        agent = f"feedsvc-tests-ready-{self.port}-{time.monotonic_ns()}"
        workers = int(self.env.get("WEB_CONCURRENCY", "2"))
        deadline = time.monotonic() + timeout
        with ThreadPoolExecutor(4) as pool:
            while True:
                want = pids if pids is not None else self.worker_pids()
                if (pids is not None or len(want) >= workers) and want and want <= self.access_pids(agent, 200):
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(f"not every worker answered /healthz 200 within {timeout}s (want {want}; "
                                         f"this reads gunicorn's log on stdout)\n{self.output()}")
                if self.process is not None and self.process.poll() is not None:
                    raise AssertionError(f"gunicorn exited with {self.process.returncode}\n{self.output()}")
                list(pool.map(lambda _: self.get("/healthz", {"User-Agent": agent}, timeout=5), range(8)))
                time.sleep(0.05)

    wait_all_workers_ready = wait_ready

    def master_pid(self, timeout: float = 5.0) -> int:
        """gunicorn's master pid, from its own 'Starting gunicorn' log line."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = _MASTER.search(self.stdout())
            if found:
                return int(found.group(1))
            time.sleep(0.05)
        raise AssertionError(f"no 'Starting gunicorn' line in stdout\n{self.output()}")

    def signal(self, sig: int) -> None:
        os.kill(self.master, sig)

    def wait_exit(self, timeout: float) -> int | None:
        """The master's exit status, or None if it is still running after ``timeout``."""
        assert self.process is not None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        """SIGTERM the master, wait, then SIGKILL whatever is left of its process group."""
        if self.process is None:
            return
        pgid = self.process.pid  # start_new_session: the group is the session leader's pid
        try:
            if self.process.poll() is None:
                os.killpg(pgid, signal.SIGTERM)
                self.process.wait(25)  # gunicorn_conf's graceful_timeout is 20 s
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        finally:
            try:
                os.killpg(pgid, signal.SIGKILL)  # stragglers: workers, or a master that hung
            except (ProcessLookupError, PermissionError):
                pass
            if self.process.poll() is None:
                self.process.wait(5)
            for copier in self._copiers:
                copier.join(5)
            shutil.rmtree(self.runtime_dir, ignore_errors=True)

    kill = stop

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
            with exc:  # it holds the connection
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
        return self.stdout_path.read_text(encoding="utf-8", errors="replace") if self.stdout_path.exists() else ""

    log = stdout

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace") if self.stderr_path.exists() else ""

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
