"""Varnish in front of two instances: what a shared cache does with the service's headers.

varnishd (Debian package `varnish`, installed by .ci/run) runs as a subprocess on a free loopback
port with tests/data/varnish/default.vcl: the two instances (the Procfile's gunicorn, each with its
own index, one corpus folder) as round-robin backends, and the app's Cache-Control honoured,
stale-if-error included. Through it: conditional requests get 304s, a change reaches clients within
max-age, and with both origins stopped the stale copy is served within stale-if-error, not after.

FEEDSVC_MAX_AGE is 2 s here, so that expiry happens within a test; stale-while-revalidate is 1 s and
stale-if-error 8 s, so that each window can be seen to open and close.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import feedparser
import pytest
from server import free_port
from test_instances import PUBLIC, instance, start_all, write_atomically

pytestmark = pytest.mark.e2e  # varnishd and two real gunicorns

TESTS = Path(__file__).resolve().parent
VCL = TESTS / "data" / "varnish" / "default.vcl"
MAX_AGE, STALE_WHILE_REVALIDATE, STALE_IF_ERROR = 2, 1, 8
AGENT = "varnish-e2e"
TAG = "tag:kontumtv.vn,2021:article:"
ARTICLE = (" date 2024-05-07 Kinh tế Kon Tum thu hoạch cà phê sớm\n\n(kontumtv.vn) – Sáng 7/5, nông dân "
           "huyện Đắk Hà bắt đầu thu hoạch cà phê.\n\nThu Hà\n")


def varnishd() -> str:
    found = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin:/usr/local/sbin")
    assert found, "varnishd is not installed: apt-get install varnish (.ci/run does)"
    return found


class Varnish:
    """varnishd in the foreground, its work directory and log under ``folder``."""

    def __init__(self, folder: Path, origins: list[int], port: int):
        self.folder = folder
        self.port = port
        folder.mkdir(parents=True, exist_ok=True)
        self.vcl = folder / "default.vcl"
        text = VCL.read_text(encoding="utf-8")
        for name, origin in zip(("ORIGIN_ONE", "ORIGIN_TWO"), origins):
            text = text.replace(f'"{name}"', f'"{origin}"')
        self.vcl.write_text(text, encoding="utf-8")
        self.log = folder / "varnishd.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> Varnish:
        # -j none: no privilege separation (the default jail needs root and the `varnish` user);
        # root, as in CI, and a plain user both run it so. -T none: no management port.
        # -F: in the foreground, a child of this test.
        command = [varnishd(), "-F", "-j", "none", "-T", "none", "-a", f"127.0.0.1:{self.port}",
                   "-f", str(self.vcl), "-n", str(self.folder / "work"), "-s", "malloc,64m"]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:  # the VCL is compiled with cc first: a second or two
            assert self.process.poll() is None, f"varnishd exited with {self.process.returncode}\n{self.output()}"
            try:
                if self.get("/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            assert time.monotonic() < deadline, f"varnishd did not answer within {timeout}s\n{self.output()}"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(5)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]

    def get(self, path: str, headers: dict[str, str] | None = None):
        """(status, headers, body) of one request through the cache; HTTP errors are answers too."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}",
                                         headers={"User-Agent": AGENT, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            with exc:  # it holds the connection
                return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Two instances on one folder behind one Varnish; the folder and the three processes."""
    tmp_path = tmp_path_factory.mktemp("varnish")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for source in list((TESTS.parent / "seeds").glob("*.txt")) + list((TESTS / "data" / "dev").glob("*.txt")):
        shutil.copy(source, corpus / source.name)
    settings = {"FEEDSVC_MAX_AGE": str(MAX_AGE), "FEEDSVC_STALE_WHILE_REVALIDATE": str(STALE_WHILE_REVALIDATE),
                "FEEDSVC_STALE_IF_ERROR": str(STALE_IF_ERROR)}
    one, two = instance(tmp_path, corpus, "one", settings), instance(tmp_path, corpus, "two", settings)
    cache = Varnish(tmp_path / "varnish", [one.port, two.port], free_port())
    try:
        start_all(one, two)
        # A feed's Last-Modified is sent once its second is past (RFC 9110 §8.8.2.1); a cache filled
        # before that would keep an answer without it for max-age. Wait for it at each origin.
        for server in (one, two):
            deadline = time.monotonic() + 5
            while server.get("/feeds/all.rss")[1]["Last-Modified"] is None:
                assert time.monotonic() < deadline, "no Last-Modified from an origin"
                time.sleep(0.1)
        cache.start()
        yield corpus, one, two, cache
    finally:
        cache.stop()
        for server in (one, two):
            server.stop()


def ids(body: bytes) -> set[str]:
    return {entry.id for entry in feedparser.parse(body).entries}


def test_conditional_requests_through_the_cache_get_304(stack):
    _, one, two, cache = stack
    path = "/feeds/all.rss"
    status, headers, body = cache.get(path)
    assert status == 200 and ids(body)
    assert headers["Cache-Control"] == (f"public, max-age={MAX_AGE}, stale-while-revalidate={STALE_WHILE_REVALIDATE}, "
                                        f"stale-if-error={STALE_IF_ERROR}")
    assert PUBLIC.encode() in body  # links come from the public URL, whichever instance rendered it
    assert "X-Request-ID" not in headers, str(headers)  # the VCL drops the id of the request that filled the cache
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert cache.get(path)[1]["X-Cache"] == "hit"

    # (Varnish 7.1 compares If-None-Match as one tag: a list of tags gets the full answer.)
    for validators in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
        status, headers, again = cache.get(path, validators)
        assert (status, again, headers["ETag"]) == (304, b"", etag), validators
    assert cache.get(path, {"If-None-Match": '"another"'})[0] == 200

    # gzip: the cache keeps the origin's gzip bytes and their own ETag; that one validates too.
    status, headers, _ = cache.get(path, {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    gz_etag = headers["ETag"]
    assert cache.get(path, {"Accept-Encoding": "gzip", "If-None-Match": gz_etag})[0] == 304

    # Past max-age the cache asks an origin again, with the ETag it holds (the first instance's or
    # the second's: they are the same); the client still gets its 304, and the same bytes after.
    time.sleep(MAX_AGE + STALE_WHILE_REVALIDATE + 0.5)
    for _ in range(3):
        status, headers, again = cache.get(path, {"If-None-Match": etag})
        assert (status, again) == (304, b"")
    assert cache.get(path)[2] == body
    deadline = time.monotonic() + 3  # gunicorn writes its access line after the answer
    while not any(f'"GET {path} HTTP/1.1" 304 ' in s.stdout() for s in (one, two)):
        assert time.monotonic() < deadline, "no instance answered the cache's revalidation with a 304"
        time.sleep(0.05)
    # Round robin: both instances filled the cache.
    for url in ("/feeds/kinh-te.atom", "/feeds/kinh-te.json", "/feeds.opml", "/"):
        assert cache.get(url)[0] == 200
    deadline = time.monotonic() + 3
    while not (one.access_pids(AGENT) and two.access_pids(AGENT)):
        assert time.monotonic() < deadline, "round robin did not reach both instances"
        time.sleep(0.05)


def test_a_change_reaches_clients_through_the_cache_within_max_age(stack):
    corpus, one, two, cache = stack
    path = "/feeds/all.atom"
    status, _, body = cache.get(path)
    assert status == 200
    new_id = TAG + "950_varnish"
    assert new_id not in ids(body)

    written = time.monotonic()
    write_atomically(corpus / "950_varnish.txt", ARTICLE)
    origins_have_it = None  # when both instances serve it (they pick it up on their own, in about a second)
    ages = []
    while True:
        if origins_have_it is None and all(new_id in ids(server.get(path)[2]) for server in (one, two)):
            origins_have_it = time.monotonic()
        status, headers, body = cache.get(path)
        assert status == 200
        ages.append(int(headers["Age"]))
        if new_id in ids(body):
            break
        assert time.monotonic() - written < MAX_AGE + 10, "not through the cache after 10 s past max-age"
        time.sleep(0.05)
    through = time.monotonic()
    if origins_have_it is None:  # the cache fetched from the instance that had it first
        origins_have_it = through
    print(f"origins {origins_have_it - written:.2f}s after the write, the cache {through - origins_have_it:.2f}s "
          f"after the origins (max-age {MAX_AGE}s); ages seen {min(ages)}-{max(ages)}s")
    # The cache's copy was at most max-age old when the origins had the change; then one client may
    # get it stale while the new one is fetched (stale-while-revalidate), the next gets the new one.
    assert through - origins_have_it < MAX_AGE + 1.0
    assert max(ages) <= MAX_AGE + STALE_WHILE_REVALIDATE  # no copy older than the app allows


def test_with_both_origins_stopped_the_stale_copy_is_served_within_stale_if_error(stack):
    _, one, two, cache = stack
    paths = ("/feeds/all.rss", "/feeds/kinh-te.atom?limit=3")
    time.sleep(MAX_AGE + STALE_WHILE_REVALIDATE + 0.1)  # whatever is cached has expired: fetched afresh now
    cached = {}
    for path in paths:
        status, headers, body = cache.get(path)
        if headers["X-Cache"] != "miss":  # a stale hit: the background fetch makes it fresh
            time.sleep(0.3)
            status, headers, body = cache.get(path)
        assert status == 200
        cached[path] = (body, headers["ETag"])
    filled = time.monotonic()
    with ThreadPoolExecutor(2) as pool:  # an outage: both at once (each stops gracefully, ~3 s)
        list(pool.map(lambda server: server.stop(), (one, two)))

    # Fresh, then stale past stale-while-revalidate: the origins are gone, the copy stays.
    time.sleep(max(0.0, filled + MAX_AGE + STALE_WHILE_REVALIDATE + 1.0 - time.monotonic()))
    assert time.monotonic() < filled + MAX_AGE + STALE_IF_ERROR - 2, "stopping the origins took too long"
    for path, (body, etag) in cached.items():
        status, headers, again = cache.get(path)
        assert (status, again) == (200, body), (path, status)
        assert headers["X-Cache"] == "stale"
        assert int(headers["Age"]) > MAX_AGE + STALE_WHILE_REVALIDATE
        assert cache.get(path, {"If-None-Match": etag})[0] == 304
    assert cache.get("/feeds/the-thao.rss")[0] == 503  # never cached: nothing to serve

    # stale-if-error is a bound: past it the cache no longer answers for the origins.
    time.sleep(max(0.0, filled + MAX_AGE + STALE_IF_ERROR + 1.0 - time.monotonic()))
    for path in paths:
        assert cache.get(path)[0] == 503, path
