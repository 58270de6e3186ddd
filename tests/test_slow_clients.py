"""Slow and idle clients cannot take the service away from normal ones.

The Procfile's gunicorn (2 workers, ``tests/server.py``) is attacked from a SECOND PROCESS over raw
sockets (this file run as ``python tests/test_slow_clients.py attack PORT KIND=N,... SECONDS``)
while this process plays a normal client: /healthz and two feeds, each on a fresh connection, with
its latency recorded. The attackers:

* ``silent``: connect, send nothing;
* ``trickle``: a request line, then one header line a second, never the blank line that ends it;
* ``slowread``: a 4 KB receive buffer, the big RSS feed without gzip, one byte read a second;
* ``idle``: one request, its answer read, then an idle keep-alive connection.

A connection the server closes is opened again, as a real attacker would do. Whether the attack
really held its connections is read from the kernel (``/proc/net/tcp``): ESTABLISHED on the
server's port and accepted by a worker, not waiting in the listener's backlog.
``bench/slow_clients.py`` reuses this harness to compare worker classes.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import json
import math
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # a real gunicorn attacked by thousands of connections from a second process

HOST = "127.0.0.1"
KINDS = ("silent", "trickle", "slowread", "idle")
BIG_FEED = "/feeds/all.rss"
NORMAL_PATHS = ("/healthz", "/feeds/all.rss", "/feeds/all.atom")
NORMAL_AGENT = "feedsvc-normal-client"


def add_long_articles(corpus: Path, count: int = 48) -> Path:
    """``count`` long, newest articles: /feeds/all.rss is then ~4.7 MB without gzip, more than the
    ~3 MB a loopback socket's send buffer grows to, so a slow reader here is as slow as one on a
    real network (where the buffer stays far smaller than a 300 KB feed)."""
    from corpus_tools import article_text

    for n in range(count):
        (corpus / f"900_long{n:02d}.txt").write_text(
            article_text(f"Bài dài số {n}", category="Thể thao", date=f"2031-01-{n % 28 + 1:02d}", sentences=900),
            encoding="utf-8")
    return corpus


def raise_nofile() -> None:
    """Soft RLIMIT_NOFILE up to the hard limit: 2,100 sockets do not fit in the usual 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- the attacker (a second process) ---------------------------------------------------------------

class _Attacker:
    """Every attacking socket in one selector loop; one tick a second per socket."""

    def __init__(self, port: int, counts: dict[str, int]):
        self.port, self.counts = port, counts
        self.selector = selectors.DefaultSelector()
        self.conns: dict[socket.socket, dict] = {}
        self.ticking: set[socket.socket] = set()
        self.stats = {kind: Counter() for kind in counts}
        self.reopen: list[tuple[float, str]] = []
        self.host = f"Host: {HOST}:{port}\r\n".encode()

    def open(self, kind: str) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if kind == "slowread":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window
        sock.setblocking(False)
        code = sock.connect_ex((HOST, self.port))
        if code not in (0, errno.EINPROGRESS):
            sock.close()
            self.stats[kind]["connect_errors"] += 1
            self.reopen.append((time.monotonic() + 0.2, kind))
            return
        state = {"kind": kind, "phase": "connecting", "buf": b"", "tick": 0.0}
        self.conns[sock] = state
        self.selector.register(sock, selectors.EVENT_WRITE, state)

    def connected(self, sock: socket.socket, state: dict) -> None:
        kind = state["kind"]
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            self.stats[kind]["connect_errors"] += 1
            self.drop(sock, state, by_server=False)
            return
        self.stats[kind]["opened"] += 1
        state["phase"], state["tick"] = "open", time.monotonic() + 1
        if kind in ("trickle", "slowread"):
            self.ticking.add(sock)
        if kind == "trickle":
            sock.send(b"GET /healthz HTTP/1.1\r\n" + self.host)
        elif kind == "idle":
            state["phase"] = "requested"
            sock.send(b"GET /healthz HTTP/1.1\r\n" + self.host + b"User-Agent: idle-attacker\r\n\r\n")
        elif kind == "slowread":
            # No Accept-Encoding: the identity bytes, the biggest answer there is.
            sock.send(f"GET {BIG_FEED} HTTP/1.1\r\n".encode() + self.host + b"User-Agent: slow-reader\r\n\r\n")
            self.selector.unregister(sock)  # read on its tick only
            return
        self.selector.modify(sock, selectors.EVENT_READ, state)

    def readable(self, sock: socket.socket, state: dict) -> None:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.drop(sock, state, by_server=True)
            return
        state["buf"] = (state["buf"] + data)[-100_000:]
        head, sep, body = state["buf"].partition(b"\r\n\r\n")
        if not sep:
            return
        if state["kind"] == "idle" and state["phase"] == "requested":
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            if len(body) >= length:
                state["phase"], state["buf"] = "idle", b""
        elif state["phase"] != "answered":
            state["phase"] = "answered"  # the server answered a request that never ended (408, 400...)
            self.stats[state["kind"]]["answered_" + head.split(b" ")[1][:3].decode("latin-1", "replace")] += 1

    def tick(self, now: float) -> None:
        for sock in [sock for sock in self.ticking if self.conns[sock]["tick"] <= now]:
            state = self.conns[sock]
            if state["phase"] == "answered":
                continue
            state["tick"] = now + 1
            try:
                if state["kind"] == "trickle":
                    state["lines"] = state.get("lines", 0) + 1
                    sock.send(f"X-Trickle-{state['lines']}: {state['lines']}\r\n".encode())
                elif state["kind"] == "slowread":
                    if sock.recv(1) == b"":
                        self.drop(sock, state, by_server=True)
                    else:
                        self.stats["slowread"]["bytes_read"] += 1
            except BlockingIOError:
                pass
            except OSError:
                self.drop(sock, state, by_server=True)

    def drop(self, sock: socket.socket, state: dict, by_server: bool) -> None:
        if by_server:
            self.stats[state["kind"]]["closed_by_server"] += 1
        try:
            self.selector.unregister(sock)
        except (KeyError, ValueError):
            pass
        sock.close()
        del self.conns[sock]
        self.ticking.discard(sock)
        self.reopen.append((time.monotonic() + 0.1, state["kind"]))

    def status(self) -> dict:
        held = Counter()
        for state in self.conns.values():
            if state["phase"] in ("open", "idle") or (state["kind"] == "trickle" and state["phase"] != "connecting"):
                held[state["kind"]] += 1
        return {"held": dict(held), "held_total": sum(held.values()), "wanted": sum(self.counts.values()),
                "cpu_s": round(sum(os.times()[:2]), 2),
                "stats": {kind: dict(counter) for kind, counter in self.stats.items()}}

    def run(self, seconds: float, stop: threading.Event) -> None:
        for kind, count in self.counts.items():
            for _ in range(count):
                self.open(kind)
        end, report_at = time.monotonic() + seconds, 0.0
        while not stop.is_set() and time.monotonic() < end:
            for key, _ in self.selector.select(0.05):
                sock, state = key.fileobj, key.data
                if sock in self.conns:
                    (self.connected if state["phase"] == "connecting" else self.readable)(sock, state)
            now = time.monotonic()
            self.tick(now)
            due = [kind for at, kind in self.reopen if at <= now]
            self.reopen = [(at, kind) for at, kind in self.reopen if at > now]
            for kind in due:
                self.open(kind)
            if now >= report_at:
                print(json.dumps(self.status()), flush=True)
                report_at = now + 0.25
        print(json.dumps({**self.status(), "final": True}), flush=True)


def _attack_main(port: int, spec: str, seconds: float) -> int:
    raise_nofile()
    counts = {kind: int(n) for kind, n in (item.split("=") for item in spec.split(",") if item) if int(n)}
    assert set(counts) <= set(KINDS), spec
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    _Attacker(port, counts).run(seconds, stop)
    return 0


class Attack:
    """The attacker process, as a context manager: its connections are up inside the block."""

    def __init__(self, port: int, counts: dict[str, int], seconds: float = 120.0):
        self.port, self.counts = port, counts
        spec = ",".join(f"{kind}={n}" for kind, n in counts.items())
        self.process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "attack", str(port), spec,
                                         str(seconds)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.latest: dict = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.latest = json.loads(line)

    def wait_held(self, timeout: float = 15.0) -> dict:
        """Until the attacker holds every connection it wants (or ``timeout``); its status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.latest and self.latest["held_total"] >= self.latest["wanted"]:
                break
            assert self.process.poll() is None, self.process.stderr.read()
            time.sleep(0.05)
        return self.latest

    def stop(self) -> dict:
        """Stop it; its final status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self._reader.join(5)
        for pipe in (self.process.stdout, self.process.stderr):
            pipe.close()
        return self.latest

    def __enter__(self) -> Attack:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# --- the normal client and what the kernel says ----------------------------------------------------

def server_connections(port: int) -> tuple[int, int]:
    """(ESTABLISHED connections on the server's side of ``port``, how many still in the backlog)."""
    established = backlog = 0
    suffix = f":{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if not fields[1].endswith(suffix):
            continue
        if fields[3] == "01":
            established += 1
        elif fields[3] == "0A":  # LISTEN: rx_queue is the accept backlog
            backlog = int(fields[4].split(":")[1], 16)
    return established, backlog


def normal_request(port: int, path: str, timeout: float) -> tuple[float, str | None, bytes]:
    """(seconds, None or what went wrong, body) of one GET on a fresh connection, as a feed reader asks."""
    started = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip", "User-Agent": NORMAL_AGENT})
        response = conn.getresponse()
        body = response.read()
        problem = None if response.status == 200 else f"status {response.status}"
    except (OSError, http.client.HTTPException) as exc:
        body, problem = b"", type(exc).__name__
    finally:
        conn.close()
    return time.monotonic() - started, problem, body


def identity_bytes(port: int, path: str) -> bytes:
    """The identity bytes of ``path`` (what a slow reader asks for), on a fresh connection."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "identity"})
        response = conn.getresponse()
        assert response.status == 200, response.status
        return response.read()
    finally:
        conn.close()


def reference_digests(port: int) -> dict[str, bytes]:
    """sha256 of what the normal client gets for each of its paths, asked before an attack."""
    found = {}
    for path in NORMAL_PATHS:
        _, problem, body = normal_request(port, path, 10.0)
        assert problem is None, (path, problem)
        found[path] = hashlib.sha256(body).digest()
    return found


def normal_client(port: int, expected: dict[str, bytes], requests: int, interval: float = 0.1,
                  timeout: float = 5.0, sample_every: float = 0.5) -> dict:
    """``requests`` GETs, one every ``interval`` (or back to back when late), each answer compared
    with ``expected`` (reference_digests() before the attack); latency figures, and the fewest
    connections the workers held meanwhile (sampled from the kernel)."""
    samples, problems, held = [], Counter(), []
    started = next_sample = time.monotonic()
    for n in range(requests):
        now = time.monotonic()
        if now >= next_sample:
            established, backlog = server_connections(port)
            held.append(established - backlog)
            next_sample = now + sample_every
        path = NORMAL_PATHS[n % len(NORMAL_PATHS)]
        seconds, problem, body = normal_request(port, path, timeout)
        if problem is None and hashlib.sha256(body).digest() != expected[path]:
            problem = "a different body"
        samples.append(seconds)
        if problem:
            problems[problem] += 1
        time.sleep(max(0.0, started + (n + 1) * interval - time.monotonic()))
    return {**latency_figures(samples), "failures": sum(problems.values()), "problems": dict(problems),
            "held_min": min(held), "held_max": max(held)}


def latency_figures(samples: list[float]) -> dict:
    """n, p50 and p99 (nearest rank) and max, in ms."""
    ordered = sorted(samples)

    def rank(q: float) -> float:
        return round(ordered[max(0, math.ceil(len(ordered) * q) - 1)] * 1000, 1)

    return {"n": len(ordered), "p50_ms": rank(0.50), "p99_ms": rank(0.99), "max_ms": round(ordered[-1] * 1000, 1)}


def under_attack(port: int, counts: dict[str, int], requests: int = 60, interval: float = 0.1,
                 timeout: float = 5.0) -> dict:
    """The normal client's figures while ``counts`` attackers hold their connections."""
    expected = reference_digests(port)
    with Attack(port, counts) as attack:
        before = attack.wait_held()
        client = normal_client(port, expected, requests, interval, timeout)
        after = attack.latest
    return {"attack": counts, **client, "attacker_held_before": before.get("held_total"),
            "attacker_held_after": after.get("held_total"), "attacker": attack.latest}


# --- the tests ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def figures():
    """The module's figures, printed as one RELIABILITY line once its tests have run."""
    found: dict = {}
    yield found
    from raw_http import report

    report("slow-clients", **found)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The Procfile's gunicorn, 2 workers, on the seeds and the dev corpus plus 48 long articles."""
    from server import Server

    folder = tmp_path_factory.mktemp("slow-clients")
    from conftest import copy_corpus

    corpus = add_long_articles(copy_corpus(folder / "corpus"))
    server = Server(folder / "logs", {"FEEDSVC_CORPUS_DIR": str(corpus),
                                      "FEEDSVC_INDEX_PATH": str(folder / "index.sqlite3")}, workers=2)
    server.start()
    try:
        server.wait_all_workers_ready()
        warm_every_worker(server)
        yield server
    finally:
        server.stop()


def warm_every_worker(server) -> None:
    """Until each worker has rendered what the normal client and the slow readers ask for: a
    first render of a 4.7 MB feed is a cache miss, not what this module measures."""
    for n, (path, coding) in enumerate([(BIG_FEED, "identity"), *((path, "gzip") for path in NORMAL_PATHS)]):
        agent = f"feedsvc-warm-{n}"
        for _ in range(60):
            if len(server.access_pids(agent, 200)) >= 2:
                break
            server.get(path, {"Accept-Encoding": coding, "User-Agent": agent})
        else:
            raise AssertionError(f"{path} ({coding}) never answered by both workers")


def slow_download(port: int, path: str, result: dict, piece: int = 16384, pause: float = 0.01) -> None:
    """GET ``path`` through a ``piece``-sized receive window, one piece every ``pause`` seconds."""
    started = time.monotonic()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, piece)
    sock.settimeout(20)
    chunks = []
    try:
        sock.connect((HOST, port))
        # http.client's Host: the self links in the feed, so the bytes, equal the reference's.
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUser-Agent: slow-reader-test\r\n"
                     "Connection: close\r\n\r\n".encode())
        while chunk := sock.recv(piece):
            chunks.append(chunk)
            time.sleep(pause)
    except OSError as exc:
        result["error"] = repr(exc)
    finally:
        sock.close()
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    result.update(head=head.decode("latin-1"), body=body, seconds=time.monotonic() - started)


def test_200_slow_and_silent_connections_leave_a_normal_client_served(served, figures):
    port = served.port
    reference = identity_bytes(port, BIG_FEED)
    assert len(reference) > 4_000_000, len(reference)
    attackers = {"silent": 50, "trickle": 50, "slowread": 50, "idle": 50}
    expected, download = reference_digests(port), {}
    with Attack(port, attackers) as attack:
        held = attack.wait_held(timeout=30)
        reader = threading.Thread(target=slow_download, args=(port, BIG_FEED, download))
        reader.start()
        # 60 requests over ~11 s: longer than the 10 s head deadline, so the silent and trickling
        # connections are closed once and held again (the attacker reconnects) while it runs.
        client = normal_client(port, expected, requests=60, interval=0.18)
        reader.join(30)
        end = attack.latest
    stats = end["stats"]
    assert client["failures"] == 0, client
    assert client["p99_ms"] < 1000, client
    # The attack was real: the workers held the connections (kernel view), the attacker held them
    # to the end, and the deadline closed the silent ones and answered the tricklers 408.
    assert held["held_total"] == 200 and client["held_min"] >= 200, (held, client)
    assert end["held_total"] >= 190, end
    assert stats["silent"].get("closed_by_server", 0) >= 50 and stats["trickle"].get("answered_408", 0) >= 50, stats
    assert "error" not in download, download.get("error")
    assert download["head"].startswith("HTTP/1.1 200") and download["body"] == reference, download["head"]
    assert download["seconds"] > 2, download["seconds"]  # it really was slow: under 1.6 MB/s
    figures.update(mix_attackers=200, mix_requests=client["n"], mix_p50_ms=client["p50_ms"],
                   mix_p99_ms=client["p99_ms"], mix_failures=client["failures"], mix_held_min=client["held_min"],
                   silent_closed=stats["silent"].get("closed_by_server", 0),
                   trickle_408=stats["trickle"].get("answered_408", 0),
                   slow_reader_bytes=len(download["body"]), slow_reader_s=round(download["seconds"], 1),
                   slow_reader_identical=download["body"] == reference)


def test_2100_idle_keepalive_connections_leave_a_normal_client_served(served, figures):
    port = served.port
    expected = reference_digests(port)
    with Attack(port, {"idle": 2100}) as attack:
        held = attack.wait_held(timeout=40)
        client = normal_client(port, expected, requests=60, interval=0.1)
        end = attack.latest
    assert client["failures"] == 0, client
    assert client["p99_ms"] < 1000, client
    assert held["held_total"] == 2100 and client["held_min"] >= 2100 and end["held_total"] == 2100, (held, client, end)
    figures.update(idle_connections=2100, idle_requests=client["n"], idle_p50_ms=client["p50_ms"],
                   idle_p99_ms=client["p99_ms"], idle_failures=client["failures"], idle_held_min=client["held_min"])


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "attack":
        sys.exit(_attack_main(int(sys.argv[2]), sys.argv[3], float(sys.argv[4])))
    print("usage: test_slow_clients.py attack PORT silent=N,trickle=N,slowread=N,idle=N SECONDS", file=sys.stderr)
    sys.exit(2)
