"""Shared machinery of the reliability tests and of bench/load_changing.py.

* :class:`Gunicorn` starts the Procfile's exact ``web:`` command (PORT, WEB_CONCURRENCY and
  FEEDSVC_* in its environment) in a session of its own and stops it by that session's id.
* :func:`raw_http` talks HTTP over a bare socket, for requests no client library would send.
* :func:`body_problem` is the oracle for a response body: feedparser ``bozo == 0`` for RSS/Atom,
  ``json.loads`` for JSON.
* The load generator runs in a SECOND PROCESS (``python tests/reliability_support.py load …``):
  several threads with a keep-alive connection each, checking every answer (5xx, ETag -> body hash,
  feed bodies) and printing one JSON document of figures.
* :class:`CorpusWriter` adds, edits, renames and deletes article files, some written in two halves
  with a pause between, while the load runs.

Nothing here sends traffic beyond 127.0.0.1.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DEV = Path(__file__).resolve().parent / "data" / "dev"
PROCFILE = ROOT / "Procfile"
HOST = "127.0.0.1"
TAG_PREFIX = "tag:kontumtv.vn,2021:article:"
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
CATEGORIES = ("Kinh tế", "Y tế", "Giáo dục", "Thể thao", "Du lịch", "Văn hóa - Xã hội", "Pháp luật")


def report(scenario: str, **figures) -> str:
    """One greppable line of figures (shown by ``pytest -s`` and by the bench script)."""
    line = f"RELIABILITY {scenario}: " + " ".join(f"{k}={v}" for k, v in figures.items())
    print(line, flush=True)
    return line


# --- corpus ---------------------------------------------------------------------------------

def copy_corpus(folder: Path) -> Path:
    """The seeds and the dev corpus (18 articles) in a fresh folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for source in sorted(SEEDS.glob("*.txt")) + sorted(DEV.glob("*.txt")):
        shutil.copy(source, folder / source.name)
    return folder


def article_text(title: str, *, category: str = "Kinh tế", date: str = "2024-03-03", sentences: int = 2,
                 byline: str = "Minh Châu") -> str:
    """An export in the newsroom's format: header line, dated lead, body, byline."""
    day, month = int(date[8:10]), int(date[5:7])
    lead = f"(kontumtv.vn) – Sáng {day}/{month}, UBND tỉnh Kon Tum tổ chức hội nghị về {title.lower()}."
    body = " ".join(f"Câu thứ {n} của bài viết nói về công tác phát triển kinh tế – xã hội của tỉnh." for n in
                    range(1, sentences + 1))
    return f" date {date} {category} {title}\n\n{lead}\n\n{body}\n\n{byline}\n"


def expected_articles(corpus: Path) -> dict[str, str]:
    """id -> title of every article the parser makes of the folder (what the feeds must show)."""
    import logging

    from feedsvc.corpus import load_folder

    quiet = logging.getLogger("feedsvc.corpus.indexer")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the skipped files are the caller's business
    try:
        repo = load_folder(corpus, workers=1)
    finally:
        quiet.setLevel(level)
    return {article.id: article.title for article in repo.all_articles()}


# --- response oracles -----------------------------------------------------------------------

def body_problem(media_type: str, body: bytes) -> str | None:
    """None when a feed body is well-formed for its type, else what is wrong."""
    media_type = (media_type or "").split(";")[0].strip()
    if media_type in ("application/feed+json", "application/json"):
        try:
            doc = json.loads(body)
        except ValueError as exc:
            return f"json: {exc}"
        if media_type == "application/feed+json" and not (isinstance(doc, dict) and isinstance(doc.get("items"), list)):
            return "json feed without an items list"
        return None
    if media_type in ("application/rss+xml", "application/atom+xml", "text/x-opml"):
        import feedparser

        parsed = feedparser.parse(body)
        if parsed.bozo:
            return f"feedparser bozo: {parsed.get('bozo_exception')!r}"[:300]
        return None
    return None


def feed_entries(media_type: str, body: bytes) -> dict[str, str]:
    """article id -> title of the entries of a feed body (ids from the tag: URIs)."""
    media_type = media_type.split(";")[0].strip()
    if media_type == "application/feed+json":
        items = json.loads(body)["items"]
        pairs = [(item["id"], item["title"]) for item in items]
    else:
        import feedparser

        pairs = [(entry.id, entry.title) for entry in feedparser.parse(body).entries]
    return {unquote(i[len(TAG_PREFIX):]): title for i, title in pairs if i.startswith(TAG_PREFIX)}


# --- raw HTTP ---------------------------------------------------------------------------------

@dataclass
class RawResponse:
    status: int | None
    headers: dict[str, str]
    body: bytes
    raw: bytes

    @property
    def reason_text(self) -> str:
        """The body as one would read it: tags stripped, entities decoded, whitespace collapsed."""
        import html

        text = self.body.decode("utf-8", "replace")
        if "<" in text:
            text = re.sub(r"<[^>]*>", " ", text)
        return " ".join(html.unescape(text).split())


def raw_http(port: int, data: bytes, timeout: float = 10.0) -> RawResponse:
    """Send these exact bytes, read until the server closes (send Connection: close)."""
    chunks = []
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(data)
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = None
    match = re.match(r"HTTP/\d\.\d (\d{3})", lines[0]) if lines else None
    if match:
        status = int(match.group(1))
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    return RawResponse(status, headers, body, raw)


def _dechunk(data: bytes) -> bytes:
    out, rest = [], data
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2:]
    return b"".join(out)


def get(port: int, path: str, headers: dict | None = None, method: str = "GET", timeout: float = 10.0):
    """(status, headers with lower-case names, body) over a fresh http.client connection."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


# --- the server -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def procfile_argv() -> list[str]:
    """The Procfile's ``web:`` command as argv (it holds no shell syntax beyond quoting)."""
    for line in PROCFILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("web:"):
            return shlex.split(line[len("web:"):].strip())
    raise AssertionError("Procfile has no web: line")


_ACCESS = re.compile(r"\[(\d+)\] INFO gunicorn\.access: .*\" (\d{3}) .*\"([^\"]*)\"\s*$")


class Gunicorn:
    """The Procfile command on a free port; a context manager that always stops it."""

    def __init__(self, workdir: Path, corpus: Path, *, workers: int = 2, reload_interval: float = 1.0,
                 index_path: str | None = None, env: dict | None = None, preexec_fn=None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.log_path = self.workdir / f"gunicorn-{self.port}.log"
        self.index_path = index_path if index_path is not None else str(self.workdir / "index.sqlite3")
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("FEEDSVC_", "GUNICORN_", "FORWARDED_ALLOW"))
                and k not in ("PORT", "WEB_CONCURRENCY")}
        base["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), base.get("PATH", "/usr/bin:/bin")])
        # gunicorn 27 opens a control socket under $XDG_RUNTIME_DIR: one per server (short path).
        self.runtime_dir = tempfile.mkdtemp(prefix="fsr-")
        base.update({
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(workers),
            "PYTHONUNBUFFERED": "1",
            "XDG_RUNTIME_DIR": self.runtime_dir,
            "FEEDSVC_CORPUS_DIR": str(corpus),
            "FEEDSVC_INDEX_PATH": self.index_path,
            "FEEDSVC_RELOAD_INTERVAL": str(reload_interval),
        })
        base.update(env or {})
        self.env = base
        self.workers = workers
        self.preexec_fn = preexec_fn
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.kill()

    def start(self, timeout: float = 30.0) -> None:
        # Through a pipe that this process copies to the log file: the server's own writes never
        # touch a regular file (a test may cap its file sizes with RLIMIT_FSIZE).
        self.process = subprocess.Popen(procfile_argv(), cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                        preexec_fn=self.preexec_fn)
        self._copier = threading.Thread(target=self._copy_log, args=(self.process.stdout,), daemon=True)
        self._copier.start()
        self.wait_ready(timeout)

    def _copy_log(self, pipe) -> None:
        with open(self.log_path, "ab", buffering=0) as log:
            for line in iter(pipe.readline, b""):
                log.write(line)

    @property
    def master(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def worker_pids(self) -> set[int]:
        """The master's live children (read from /proc)."""
        found = set()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    stat = handle.read().decode("latin-1")
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()
            if int(fields[1]) == self.master and fields[0] not in ("Z", "X"):
                found.add(int(entry))
        return found

    def answered_pids(self, agent: str, status: int = 200) -> set[int]:
        """Workers whose access log shows a ``status`` answer to this User-Agent."""
        found = set()
        for line in self.log().splitlines():
            match = _ACCESS.search(line)
            if match and match.group(3) == agent and int(match.group(2)) == status:
                found.add(int(match.group(1)))
        return found

    def wait_ready(self, timeout: float = 30.0, pids: set[int] | None = None) -> None:
        """Until every worker (or these) has answered /healthz with 200."""
        deadline = time.monotonic() + timeout
        agent = f"ready-probe-{random.random():.12f}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}\n{self.log()[-4000:]}")
            want = pids if pids is not None else self.worker_pids()
            if len(want) >= (1 if pids is not None else self.workers) and want <= self.answered_pids(agent):
                return
            conns = []
            for _ in range(4):  # concurrent connections spread over the workers
                try:
                    conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                    conn.request("GET", "/healthz", headers={"User-Agent": agent})
                    conns.append(conn)
                except OSError:
                    pass
            for conn in conns:
                try:
                    conn.getresponse().read()
                except (OSError, http.client.HTTPException):
                    pass
                conn.close()
            time.sleep(0.05)
        raise AssertionError(f"workers not ready after {timeout}s\n{self.log()[-4000:]}")

    def signal(self, sig: int) -> None:
        os.kill(self.master, sig)

    def wait_exit(self, timeout: float) -> int | None:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """SIGTERM, then SIGKILL to this server's own process group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.kill(self.master, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if self.wait_exit(25) is None:
                try:
                    os.killpg(self.master, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(5)
        try:  # workers left behind by a killed master share its group
            os.killpg(self.master, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if getattr(self, "_copier", None) is not None:
            self._copier.join(5)
        shutil.rmtree(self.runtime_dir, ignore_errors=True)


# --- the load generator (runs in its own process) ------------------------------------------------

@dataclass
class LoadState:
    """What the client threads of one load process share."""

    port: int
    validate_share: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = field(default_factory=time.monotonic)
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    transport_errors: list = field(default_factory=list)
    server_errors: list = field(default_factory=list)
    bad_bodies: list = field(default_factory=list)
    etag_conflicts: list = field(default_factory=list)
    bad_headers: list = field(default_factory=list)
    etags: dict = field(default_factory=dict)  # ETag -> sha256 of the bytes sent
    validated: set = field(default_factory=set)  # sha256 of identity bodies checked with the oracle
    validate_seconds: float = 0.0
    skipped_validation: int = 0
    not_modified: int = 0
    latencies: list = field(default_factory=list)
    slugs: list = field(default_factory=list)
    ids: list = field(default_factory=list)
    last_etag: dict = field(default_factory=dict)  # url -> ETag


def _pick(rng: random.Random, state: LoadState) -> tuple[str, dict]:
    roll = rng.random()
    fmt = rng.choice(("rss", "atom", "json"))
    limit = rng.choice((None, 5, 10, 20))
    query = f"?limit={limit}" if limit else ""
    if roll < 0.40:
        url = f"/feeds/all.{fmt}{query}"
    elif roll < 0.62 and state.slugs:
        url = f"/feeds/{rng.choice(state.slugs)}.{fmt}{query}"
    elif roll < 0.66:
        url = f"/feeds/all.{fmt}?limit=5&page={rng.randint(2, 6)}"
    elif roll < 0.72:
        url = "/healthz"
    elif roll < 0.76:
        url = "/"
    elif roll < 0.80 and state.slugs:
        url = f"/categories/{rng.choice(state.slugs)}"
    elif roll < 0.88 and state.ids:
        url = f"/articles/{rng.choice(state.ids)}"
    elif roll < 0.90:
        url = rng.choice(("/feeds/all.rss?limit=abc", "/feeds/all.json?limit=-1", "/articles/..%2Fx", "/nope"))
    else:
        url = "/feeds.opml"
    headers = {"User-Agent": "feedsvc-load"}
    if rng.random() < 0.3:
        headers["Accept-Encoding"] = "gzip"
    if rng.random() < 0.25:
        with state.lock:
            etag = state.last_etag.get((url, "Accept-Encoding" in headers))
        if etag:
            headers["If-None-Match"] = etag
    return url, headers


def _check(state: LoadState, url: str, headers: dict, status: int, answer: dict, body: bytes) -> None:
    if status >= 500:
        with state.lock:
            state.server_errors.append((url, status, body[:200].decode("utf-8", "replace")))
        return
    if answer.get("x-content-type-options") != "nosniff" or "content-security-policy" not in answer:
        with state.lock:
            state.bad_headers.append((url, status))
    if status == 304:
        with state.lock:
            state.not_modified += 1
        if answer.get("etag") is None:
            with state.lock:
                state.bad_headers.append((url, "304 without ETag"))
        return
    if 400 <= status < 500:
        text = body.decode("utf-8", "replace")
        if not (answer.get("content-type", "").startswith("text/plain") and text.startswith(f"{status}: ")
                and text.count("\n") == 1):
            with state.lock:
                state.bad_bodies.append((url, f"{status} answer is not one line of text/plain: {text[:80]!r}"))
        return
    if status != 200:
        return
    media_type = answer.get("content-type", "")
    etag = answer.get("etag")
    digest = hashlib.sha256(body).hexdigest()
    if etag:
        with state.lock:
            known = state.etags.setdefault(etag, digest)
            state.last_etag[(url, "Accept-Encoding" in headers)] = etag
        if known != digest:
            with state.lock:
                state.etag_conflicts.append((url, etag, known, digest))
    identity = gzip.decompress(body) if answer.get("content-encoding") == "gzip" else body
    kind = media_type.split(";")[0].strip()
    if kind == "text/html":
        if b"<script" in identity.lower():
            with state.lock:
                state.bad_bodies.append((url, "raw <script in an HTML page"))
        return
    if kind not in FEED_TYPES and kind not in ("application/json", "text/x-opml"):
        return
    plain = hashlib.sha256(identity).hexdigest()
    with state.lock:
        if plain in state.validated:
            return
        elapsed = time.monotonic() - state.started
        cheap = kind in ("application/json", "application/feed+json")
        if not cheap and state.validate_seconds > state.validate_share * elapsed:
            state.skipped_validation += 1
            return
        state.validated.add(plain)
    began = time.monotonic()
    problem = body_problem(media_type, identity)
    learned_slugs = learned_ids = None
    if problem is None and url == "/healthz":
        learned_slugs = sorted(json.loads(identity)["categories"])
    elif problem is None and kind == "application/feed+json" and url.startswith("/feeds/all."):
        learned_ids = [urlsplit(item["url"]).path.rsplit("/", 1)[-1] for item in json.loads(identity)["items"]]
    with state.lock:
        state.validate_seconds += time.monotonic() - began
        if problem:
            state.bad_bodies.append((url, problem))
        if learned_slugs:
            state.slugs = learned_slugs
        if learned_ids:
            state.ids = learned_ids


def _client(state: LoadState, index: int, stop_at: float, seed: int) -> None:
    rng = random.Random(seed)
    conn = None
    while time.monotonic() < stop_at:
        url, headers = _pick(rng, state)
        began = time.monotonic()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(HOST, state.port, timeout=30)
            conn.request("GET", url, headers=headers)
            response = conn.getresponse()
            body = response.read()
            status = response.status
            answer = {k.lower(): v for k, v in response.getheaders()}
        except (OSError, http.client.HTTPException) as exc:
            with state.lock:
                state.requests += 1
                state.transport_errors.append((round(time.time(), 3), index, url, type(exc).__name__))
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.02)  # a client's back-off before it reconnects
            continue
        with state.lock:
            state.requests += 1
            state.statuses[status] += 1
            state.latencies.append(time.monotonic() - began)
        if answer.get("connection", "").lower() == "close":
            conn.close()
            conn = None
        _check(state, url, headers, status, answer, body)
    if conn is not None:
        conn.close()


def run_load(port: int, duration: float, connections: int = 8, seed: int = 1, validate_share: float = 0.35) -> dict:
    """Drive the server for ``duration`` seconds from this process; the figures as a dict."""
    state = LoadState(port=port, validate_share=validate_share)
    stop_at = time.monotonic() + duration
    threads = [threading.Thread(target=_client, args=(state, i, stop_at, seed * 1000 + i), daemon=True)
               for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + 60)
    elapsed = time.monotonic() - state.started
    latencies = sorted(state.latencies) or [0.0]
    return {
        "duration_s": round(elapsed, 1),
        "connections": connections,
        "requests": state.requests,
        "rps": round(state.requests / elapsed, 1),
        "statuses": {str(k): v for k, v in sorted(state.statuses.items())},
        "5xx": sum(v for k, v in state.statuses.items() if k >= 500),
        "not_modified": state.not_modified,
        "transport_errors": len(state.transport_errors),
        "transport_error_detail": state.transport_errors[:50],
        "failed_connections": len({e[1] for e in state.transport_errors}),
        "server_errors": state.server_errors[:20],
        "bodies_validated": len(state.validated),
        "validation_skipped_for_cpu": state.skipped_validation,
        "bad_bodies": state.bad_bodies[:20],
        "distinct_etags": len(state.etags),
        "etag_conflicts": state.etag_conflicts[:20],
        "bad_headers": state.bad_headers[:20],
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
    }


class LoadProcess:
    """The load generator as a second process (this file run as a script)."""

    def __init__(self, port: int, duration: float, connections: int = 8, seed: int = 1,
                 validate_share: float = 0.35):
        spec = json.dumps({"port": port, "duration": duration, "connections": connections, "seed": seed,
                           "validate_share": validate_share})
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        self.process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "load", spec],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.duration = duration

    def result(self) -> dict:
        try:
            out, err = self.process.communicate(timeout=self.duration + 120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        if self.process.returncode != 0:
            raise AssertionError(f"load generator failed ({self.process.returncode}): {err.decode()[-3000:]}")
        return json.loads(out)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


# --- the corpus writer ----------------------------------------------------------------------------

class CorpusWriter:
    """Adds, edits, renames and deletes article files; some writes land in two halves.

    Every version of a file is longer than the one before it, so an edit always changes the
    size (see RELIABILITY.md: a same-size edit within one mtime tick is a separate finding).
    """

    def __init__(self, corpus: Path, seed: int = 7, max_files: int = 90, prefix: str = "w"):
        self.corpus = Path(corpus)
        self.rng = random.Random(seed)
        self.max_files = max_files
        self.prefix = prefix
        self.files: dict[str, tuple[int, str, str]] = {}  # name -> (version, category, date)
        self.counts: Counter = Counter()
        self.serial = 0
        self.last_change = time.monotonic()

    def _content(self, name: str) -> bytes:
        version, category, date = self.files[name]
        title = f"Bài kiểm thử tải {name[:-4]} phiên bản {version}"
        return article_text(title, category=category, date=date, sentences=version + 1).encode("utf-8")

    def _write(self, name: str, data: bytes) -> None:
        path = self.corpus / name
        roll = self.rng.random()
        if roll < 0.4:
            # Non-atomic: the scanner may see the first part (even mid-UTF-8 sequence) on its own.
            cut = self.rng.randint(1, len(data) - 1)
            with open(path, "wb") as handle:
                handle.write(data[:cut])
                handle.flush()
                time.sleep(self.rng.uniform(0.05, 0.6))
                handle.write(data[cut:])
            self.counts["partial_writes"] += 1
        elif roll < 0.7:
            temp = self.corpus / f".{name}.{self.serial}.tmp"
            temp.write_bytes(data)
            os.replace(temp, path)
            self.counts["atomic_writes"] += 1
        else:
            path.write_bytes(data)
            self.counts["plain_writes"] += 1

    def step(self) -> str:
        self.serial += 1
        roll = self.rng.random()
        names = sorted(self.files)
        if roll < 0.04:
            junk = self.corpus / f"{self.prefix}junk{self.serial}.txt"
            junk.write_bytes(self.rng.choice([b"", b"\x89PNG\r\n\x1a\n\x00\x00", b"   \n\t\n"]))
            action = "junk"
        elif not names or (roll < 0.40 and len(names) < self.max_files):
            name = f"{self.prefix}{self.serial:05d}.txt"
            self.files[name] = (0, self.rng.choice(CATEGORIES),
                                f"2024-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}")
            self._write(name, self._content(name))
            action = "add"
        elif roll < 0.72:
            name = self.rng.choice(names)
            version, category, date = self.files[name]
            self.files[name] = (version + 1, category, date)
            self._write(name, self._content(name))
            action = "edit"
        elif roll < 0.86:
            name = self.rng.choice(names)
            new = f"{self.prefix}{self.serial:05d}r.txt"
            os.rename(self.corpus / name, self.corpus / new)
            self.files[new] = self.files.pop(name)
            action = "rename"
        else:
            name = self.rng.choice(names)
            os.unlink(self.corpus / name)
            del self.files[name]
            action = "delete"
        self.counts[action] += 1
        self.last_change = time.monotonic()
        return action

    def run(self, stop: threading.Event, until: float, pause: tuple[float, float] = (0.05, 0.3)) -> None:
        while not stop.is_set() and time.monotonic() < until:
            self.step()
            stop.wait(self.rng.uniform(*pause))


def wait_converged(port: int, expected: dict[str, str], timeout: float, rounds: int = 3) -> tuple[float, str]:
    """Seconds until ``rounds`` successive rounds of fresh-connection fetches of every format show
    exactly ``expected`` (id -> title); (-1, last difference) on timeout."""
    began = time.monotonic()
    good, last = 0, "never fetched"
    while time.monotonic() - began < timeout:
        ok = True
        for fmt in ("json", "atom", "rss", "json", "atom", "rss"):
            status, answer, body = get(port, f"/feeds/all.{fmt}?limit=200")
            if status != 200:
                ok, last = False, f"{fmt}: {status}"
                break
            seen = feed_entries(answer["content-type"], body)
            if seen != expected:
                missing = sorted(set(expected) - set(seen))[:5]
                extra = sorted(set(seen) - set(expected))[:5]
                stale = sorted(k for k in set(seen) & set(expected) if seen[k] != expected[k])[:5]
                ok, last = False, f"{fmt}: missing {missing} extra {extra} stale {stale}"
                break
        good = good + 1 if ok else 0
        if good >= rounds:
            return time.monotonic() - began, ""
        time.sleep(0.2)
    return -1.0, last


def run_changing_load(workdir: Path, duration: float = 30.0, connections: int = 8, workers: int = 2,
                      reload_interval: float = 1.0, seed: int = 7) -> dict:
    """The scenario of test_load_changing and bench/load_changing.py; every figure in one dict."""
    workdir = Path(workdir)
    corpus = copy_corpus(workdir / "corpus")
    with Gunicorn(workdir, corpus, workers=workers, reload_interval=reload_interval) as server:
        load = LoadProcess(server.port, duration, connections=connections, seed=seed)
        writer = CorpusWriter(corpus, seed=seed)
        stop = threading.Event()
        try:
            # The writer stops a little before the load so the last reloads happen under load too.
            writer.run(stop, time.monotonic() + max(1.0, duration - 2 * reload_interval - 1))
            figures = load.result()
        finally:
            stop.set()
            load.stop()
        expected = expected_articles(corpus)
        assert all(name[:-4] in expected for name in writer.files), "the writer's own files must parse"
        waited = max(0.0, time.monotonic() - writer.last_change)
        converged, difference = wait_converged(server.port, expected, timeout=reload_interval * 3 + 15)
        health_status, _, health = get(server.port, "/healthz")
        log = server.log()
    figures.update({
        "workers": workers,
        "reload_interval_s": reload_interval,
        "writer": dict(writer.counts),
        "writer_actions": sum(v for k, v in writer.counts.items() if k in ("add", "edit", "rename", "delete", "junk")),
        "final_articles": len(expected),
        "converged_s_after_load": round(converged, 2) if converged >= 0 else -1,
        "quiet_s_before_check": round(waited, 2),
        "convergence_problem": difference,
        "healthz_status": health_status,
        "healthz_articles": json.loads(health).get("articles") if health_status == 200 else None,
        "tracebacks_in_log": log.count("Traceback"),
    })
    return figures


def failures(figures: dict) -> list[str]:
    """What went wrong, one line each; empty when the run is clean."""
    found = []
    checks = [
        ("5xx answers", figures["5xx"]),
        ("transport errors", figures["transport_errors"]),
        ("bodies rejected by feedparser/json", len(figures["bad_bodies"])),
        ("ETags naming two different bodies", len(figures["etag_conflicts"])),
        ("answers without nosniff/CSP", len(figures["bad_headers"])),
        ("tracebacks in the server log", figures["tracebacks_in_log"]),
    ]
    for what, count in checks:
        if count:
            found.append(f"{count} {what}")
    if figures["converged_s_after_load"] < 0:
        found.append(f"feeds never matched the final corpus: {figures['convergence_problem']}")
    if figures["healthz_status"] != 200 or figures["healthz_articles"] != figures["final_articles"]:
        found.append(f"/healthz {figures['healthz_status']} with {figures['healthz_articles']} articles, "
                     f"expected {figures['final_articles']}")
    return found


def _main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "load":
        spec = json.loads(argv[1])
        json.dump(run_load(**spec), sys.stdout)
        return 0
    print("usage: reliability_support.py load '{\"port\": …, \"duration\": …}'", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
