"""A load generator that runs in a SECOND PROCESS (``python tests/loadgen.py load '{…}'``): several
threads with a keep-alive connection each, checking every answer (5xx, ETag -> body hash, feed
bodies within a CPU budget) and printing one JSON document of figures."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from raw_http import FEED_TYPES, HOST, body_problem

ROOT = Path(__file__).resolve().parent.parent


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


def _main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "load":
        spec = json.loads(argv[1])
        json.dump(run_load(**spec), sys.stdout)
        return 0
    print("usage: loadgen.py load '{\"port\": …, \"duration\": …}'", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
