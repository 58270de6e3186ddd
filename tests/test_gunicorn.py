"""End to end through a real gunicorn started from the Procfile: what a reader on the network sees.

The Flask test-client tests (test_web.py) cover routes and headers; these cover what only a real
server shows: the Procfile command itself, several workers agreeing on validators, gzip on the
wire, a graceful SIGTERM, the background rescan of a live folder, and logs on stdout.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import feedparser
import pytest
from server import Server

from feedsvc.web.serve import COMMAND

pytestmark = pytest.mark.e2e  # the Procfile under a real gunicorn

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SEEDS = ROOT / "seeds"
DEV = TESTS / "data" / "dev"
TAG = "tag:kontumtv.vn,2021:article:"

# The public URL slug of each kontumtv.vn section: part of every feed URL readers subscribe to.
SLUGS = {
    "Thời sự - Chính trị": "thoi-su-chinh-tri",
    "Kinh tế": "kinh-te",
    "Văn hóa - Xã hội": "van-hoa-xa-hoi",
    "Quốc phòng - An ninh": "quoc-phong-an-ninh",
    "Giáo dục": "giao-duc",
    "Y tế": "y-te",
    "Thể thao": "the-thao",
    "Du lịch": "du-lich",
    "Nông nghiệp - Nông thôn": "nong-nghiep-nong-thon",
    "Pháp luật": "phap-luat",
    None: "chua-phan-loai",  # articles whose header names no section have their own listing
}


def expected_corpus() -> dict[str, dict]:
    """file stem -> what a careful human reads from the file (the hand-written expectations)."""
    found = {}
    for path in (TESTS / "data" / "seeds_expected.json", DEV / "expected.json"):
        for name, record in json.loads(path.read_text(encoding="utf-8")).items():
            found[Path(name).stem] = record
    return found


EXPECTED = expected_corpus()


def expected_ids(slug: str = "all") -> set[str]:
    return {TAG + stem for stem, record in EXPECTED.items() if slug in ("all", SLUGS[record["category"]])}


def expected_slugs() -> set[str]:
    return {SLUGS[record["category"]] for record in EXPECTED.values()}


def copy_corpus(folder: Path) -> Path:
    """Seeds + the dev corpus, as conftest's `corpus` fixture builds it."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in list(SEEDS.glob("*.txt")) + list(DEV.glob("*.txt")):
        shutil.copy(source, folder / source.name)
    return folder


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One gunicorn (two workers, a shared SQLite index) over a copy of the test corpus."""
    base = tmp_path_factory.mktemp("served")
    corpus = copy_corpus(base / "corpus")
    server = Server(base / "logs", {
        "FEEDSVC_CORPUS_DIR": str(corpus),
        "FEEDSVC_INDEX_PATH": str(base / "index.sqlite3"),
        "FEEDSVC_RELOAD_INTERVAL": "1",
    }, workers=2)
    with server:
        server.wait_all_workers_ready()
        time.sleep(1.1)  # Last-Modified is the second after the index was built: sendable from now
        yield server


def fetch_all(server: Server, path: str, count: int, headers: dict[str, str] | None = None):
    """``count`` GETs of one path, each on a new connection, eight at a time."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: server.get(path, headers), range(count)))


def feed_ids(server: Server, path: str) -> tuple[set[str], str]:
    status, headers, body = server.get(path)
    assert status == 200, (path, status, body[:300])
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
    return {entry.id for entry in parsed.entries}, headers["ETag"]


# -- the Procfile ---------------------------------------------------------------------------------


def test_procfile_command_as_written_serves_the_bundled_seeds(tmp_path):
    # No FEEDSVC_CORPUS_DIR and no WEB_CONCURRENCY: the defaults a fresh PaaS app gets.
    # (Only the parse index is sent to tmp, so that the test writes nothing into the checkout.)
    server = Server(tmp_path, {"FEEDSVC_INDEX_PATH": str(tmp_path / "index.sqlite3")}, workers=None)
    # `feedsvc serve` falls back on a packaged copy of the line when there is no Procfile: the same one.
    assert server.command == COMMAND
    with server:
        health = server.healthz()
        assert health["status"] == "ok"
        assert health["articles"] == 2
        assert health["skipped"] == []

        status, headers, body = server.get("/feeds/all.rss")
        assert status == 200
        assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0
        assert {entry.id for entry in parsed.entries} == {TAG + path.stem for path in SEEDS.glob("*.txt")}

        # It binds every interface on $PORT, with feedsvc's worker class and two workers by default.
        server.wait_for_log(f"Listening at: http://0.0.0.0:{server.port} ")
        server.wait_for_log("Using worker: feedsvc.web.worker.SlowClientWorker")
        assert server.stdout().count("Booting worker with pid") == 2


# -- what feed readers parse ----------------------------------------------------------------------


def test_feedparser_reads_every_feed_over_http(served):
    assert set(served.healthz()["categories"]) == expected_slugs()
    for slug in ["all"] + sorted(expected_slugs()):
        ids = expected_ids(slug)
        for fmt, offset in (("rss", "+0700"), ("atom", "+07:00")):
            url = served.url(f"/feeds/{slug}.{fmt}")
            parsed = feedparser.parse(url)
            assert parsed.status == 200, url
            assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
            assert len(parsed.entries) == len(ids), url
            assert {entry.id for entry in parsed.entries} == ids, url
            # Every entry is dated: an undated article by when the service first published it.
            for entry in parsed.entries:
                assert entry.published.endswith(offset), (url, entry.id, entry.published)
                assert entry.published_parsed is not None, (url, entry.id)

        status, headers, body = served.get(f"/feeds/{slug}.json")
        assert status == 200
        assert headers["Content-Type"] == "application/feed+json"
        document = json.loads(body)
        assert document["version"] == "https://jsonfeed.org/version/1.1"
        assert len(document["items"]) == len(ids)
        assert {item["id"] for item in document["items"]} == ids
        assert all(item["date_published"].endswith("+07:00") for item in document["items"])


@pytest.mark.parametrize("path", ["/feeds/all.rss", "/feeds/all.atom", "/feeds/kinh-te.rss",
                                  "/feeds/thoi-su-chinh-tri.atom"])
def test_feedparser_conditional_get_gets_304(served, path):
    url = served.url(path)
    first = feedparser.parse(url)
    assert first.status == 200 and first.entries
    assert first.etag and first.modified

    both = feedparser.parse(url, etag=first.etag, modified=first.modified)
    assert both.status == 304, (url, both.get("headers"))
    assert both.entries == []
    assert both.headers.get("etag") == first.etag

    only_modified = feedparser.parse(url, modified=first.modified)
    assert only_modified.status == 304, (url, only_modified.get("headers"))

    only_etag = feedparser.parse(url, etag=first.etag)
    assert only_etag.status == 304, (url, only_etag.get("headers"))


@pytest.mark.parametrize("path", ["/feeds/all.rss", "/feeds/all.atom", "/feeds/all.json", "/feeds.opml"])
def test_gzip_on_the_wire_decompresses_to_the_identity_bytes(served, path):
    status, plain_headers, plain = served.get(path, {"Accept-Encoding": "identity"})
    assert status == 200
    assert "Content-Encoding" not in plain_headers
    status, gz_headers, packed = served.get(path, {"Accept-Encoding": "gzip"})
    assert status == 200
    assert gz_headers["Content-Encoding"] == "gzip"
    assert int(gz_headers["Content-Length"]) == len(packed) < len(plain)
    assert gzip.decompress(packed) == plain
    for headers in (plain_headers, gz_headers):
        assert "Accept-Encoding" in headers["Vary"]
    # One ETag per representation (the coding is part of it).
    assert gz_headers["ETag"] != plain_headers["ETag"]


def test_every_worker_sends_the_same_etag_and_bytes(served):
    agent = f"etag-probe-{uuid.uuid4().hex}"
    for path in ("/feeds/all.rss", "/feeds/all.atom", "/feeds/all.json", "/feeds/kinh-te.rss", "/feeds.opml"):
        for encoding in ("identity", "gzip"):
            answers = fetch_all(served, path, 24, {"Accept-Encoding": encoding, "User-Agent": agent})
            assert {status for status, _, _ in answers} == {200}, path
            assert len({headers["ETag"] for _, headers, _ in answers}) == 1, (path, encoding)
            assert len({hashlib.sha256(body).hexdigest() for _, _, body in answers}) == 1, (path, encoding)
            assert len({headers["Last-Modified"] for _, headers, _ in answers}) <= 1
    # Both workers answered (the access log's [pid] is the worker's), so both built the documents.
    pids = served.access_pids(agent)
    assert len(pids) == 2, pids


# -- process life ---------------------------------------------------------------------------------


def _start_request(port: int, path: str) -> socket.socket:
    """A client that has sent only part of its request headers, reading through a small window."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(20)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Encoding: identity\r\n".encode())
    return sock


def _finish_request_slowly(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    sock.sendall(b"Connection: close\r\n\r\n")
    data = b""
    with sock:
        while True:
            chunk = sock.recv(2048)
            if not chunk:
                break
            data += chunk
            time.sleep(0.005)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return status, headers, body


def test_sigterm_lets_in_flight_requests_finish_and_exits_0(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    server = Server(tmp_path / "logs", {"FEEDSVC_CORPUS_DIR": str(corpus), "FEEDSVC_INDEX_PATH": "memory"},
                    workers=2)
    path = "/feeds/all.rss?limit=200"
    with server:
        server.wait_all_workers_ready()
        status, headers, reference = server.get(path, {"Accept-Encoding": "identity"})
        assert status == 200
        master = server.master_pid()
        assert master == server.process.pid  # bash -c execs the one command: the Procfile's pid is gunicorn's

        clients = [_start_request(server.port, path) for _ in range(6)]
        server.wait_accepted()  # in a worker, each waiting for the rest of its request
        time.sleep(0.2)
        started = time.monotonic()
        os.kill(master, signal.SIGTERM)
        server.wait_for_log("Handling signal: term")
        time.sleep(0.5)
        assert "Shutting down: Master" not in server.stdout()  # it waits for the requests in flight

        with ThreadPoolExecutor(len(clients)) as pool:
            answers = list(pool.map(_finish_request_slowly, clients))
        for status, answer_headers, body in answers:
            assert status == 200
            assert int(answer_headers["content-length"]) == len(body) == len(reference)
            assert body == reference
            assert answer_headers["etag"] == headers["ETag"]

        code = server.wait_exit(timeout=22)
        elapsed = time.monotonic() - started
        assert code == 0, server.output()
        assert elapsed < 20, elapsed  # gunicorn_conf.graceful_timeout
        log = server.stdout()
        assert "Shutting down: Master" in log
        assert "WORKER TIMEOUT" not in log and "SIGKILL" not in log and "Traceback" not in log
        # After the master has gone nobody listens on the port any more.
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


SCHEME_HEADERS = [{"X-Forwarded-Proto": "https"}, {"X-Forwarded-Ssl": "on"}, {"X-Forwarded-Protocol": "ssl"}]


def self_link(body: bytes) -> str:
    found = re.findall(rb'<link href="([^"]+)" rel="self"', body)
    assert len(found) == 1, found
    return found[0].decode()


@pytest.mark.parametrize("headers", SCHEME_HEADERS, ids=lambda h: next(iter(h)))
def test_forwarded_scheme_is_ignored_when_no_proxy_is_trusted(served, headers):
    # The request comes from 127.0.0.1, which gunicorn's forwarded_allow_ips trusts by default:
    # with FEEDSVC_PROXY_HOPS=0 the app must still not let a header pick the scheme.
    status, _, body = served.get("/feeds/all.atom", headers)
    assert status == 200
    assert self_link(body) == served.url("/feeds/all.atom")


def test_forwarded_headers_are_honoured_behind_one_trusted_proxy(tmp_path):
    server = Server(tmp_path, {"FEEDSVC_INDEX_PATH": "memory", "FEEDSVC_PROXY_HOPS": "1"})
    with server:
        status, _, body = server.get("/feeds/all.atom", {"X-Forwarded-Proto": "https",
                                                         "X-Forwarded-Host": "feeds.example.org"})
        assert status == 200
        assert self_link(body) == "https://feeds.example.org/feeds/all.atom"
        status, _, body = server.get("/feeds/all.atom")
        assert self_link(body) == server.url("/feeds/all.atom")


ARTICLE = (" date 2024-05-06 Kinh tế Kon Tum mở rộng diện tích trồng sâm Ngọc Linh dưới tán rừng\n\n"
           "(kontumtv.vn) – Sáng 6/5, UBND tỉnh Kon Tum tổ chức hội nghị bàn giải pháp mở rộng vùng trồng "
           "sâm Ngọc Linh dưới tán rừng tự nhiên.\n\nMinh Châu\n")


def write_atomically(path: Path, text: str) -> None:
    """Write then rename, so that a rescan never sees half a file (dot files are not articles)."""
    temporary = path.with_name("." + path.name + ".part")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def wait_until(server: Server, path: str, predicate, timeout: float = 10.0) -> tuple[set[str], str]:
    deadline = time.monotonic() + timeout
    while True:
        ids, etag = feed_ids(server, path)
        if predicate(ids):
            return ids, etag
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not change within {timeout}s\n{server.output()}")
        time.sleep(0.1)


def settled(server: Server, path: str, interval: float) -> tuple[set[str], str]:
    """After a few scan intervals every worker shows the same listing: its ids and ETag."""
    time.sleep(3 * interval)
    answers = fetch_all(server, path, 16)
    assert {status for status, _, _ in answers} == {200}
    etags = {headers["ETag"] for _, headers, _ in answers}
    assert len(etags) == 1, etags
    assert len({body for _, _, body in answers}) == 1
    return {entry.id for entry in feedparser.parse(answers[0][2]).entries}, etags.pop()


def test_live_corpus_changes_show_up_in_every_worker(corpus, tmp_path):
    interval = 0.5
    server = Server(tmp_path / "logs", {
        "FEEDSVC_CORPUS_DIR": str(corpus),
        "FEEDSVC_INDEX_PATH": str(tmp_path / "index.sqlite3"),
        "FEEDSVC_RELOAD_INTERVAL": str(interval),
    }, workers=2)
    path = "/feeds/all.atom"
    new_id = TAG + "900_e2e_live"
    with server:
        server.wait_all_workers_ready()
        before, etag_before = settled(server, path, 0)
        assert before == expected_ids() and new_id not in before

        added_at = time.monotonic()
        write_atomically(corpus / "900_e2e_live.txt", ARTICLE)
        wait_until(server, path, lambda ids: new_id in ids)
        assert time.monotonic() - added_at < 5
        after_add, etag_added = settled(server, path, interval)
        assert after_add == before | {new_id}
        assert etag_added != etag_before
        assert new_id in feed_ids(server, "/feeds/kinh-te.atom")[0]
        assert server.healthz()["articles"] == len(before) + 1

        (corpus / "900_e2e_live.txt").unlink()
        wait_until(server, path, lambda ids: new_id not in ids)
        after_delete, etag_deleted = settled(server, path, interval)
        assert after_delete == before
        assert etag_deleted != etag_added
        # The ETag comes from the bytes alone: the same corpus again gives the same tag.
        assert etag_deleted == etag_before


def test_logs_go_to_stdout(served):
    agent = f"log-probe-{uuid.uuid4().hex}"
    status, _, _ = served.get("/feeds/all.atom?limit=3", {"User-Agent": agent})
    assert status == 200
    line = served.wait_for_log(agent)
    assert "gunicorn.access" in line
    assert '"GET /feeds/all.atom?limit=3 HTTP/1.1" 200 ' in line
    # The app's own log (the corpus load) and gunicorn's are on stdout too; stderr stays empty.
    served.wait_for_log("feedsvc.corpus.reloader: corpus: 18 parsed")
    served.wait_for_log("gunicorn.error: Booting worker with pid")
    assert agent not in served.stderr()
    assert served.stderr().strip() == ""


def test_a_bad_setting_stops_the_procfile_command_with_one_line(tmp_path):
    # An operator's typo is named in one line and the master exits 2, not a wall of tracebacks
    # from workers failing to boot.
    import subprocess
    import sys

    from server import ROOT, procfile_web_command

    env = dict(os.environ, PORT="0", FEEDSVC_MAX_LIMIT="lots", FEEDSVC_INDEX_PATH="memory",
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
               XDG_RUNTIME_DIR=str(tmp_path))
    result = subprocess.run(["bash", "-c", procfile_web_command()], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip() == "feedsvc: FEEDSVC_MAX_LIMIT='lots': must be a whole number"
    assert "Traceback" not in result.stdout + result.stderr
