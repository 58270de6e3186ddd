"""Hypothesis against the app (test client): paths, query strings and conditional headers.

Never a 5xx; every 4xx is one line of text/plain; every 200 feed body is well-formed XML (lxml, and
feedparser bozo == 0 once per distinct body) or JSON; a 304 has no body.
``pytest -s tests/test_fuzz_http.py`` prints how many inputs were tried.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from conftest import copy_corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from raw_http import body_problem, report

pytestmark = pytest.mark.e2e  # 1,200 generated requests: exhaustive, not quick

SETTINGS = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TRIED = {"paths": 0, "queries": 0, "headers": 0, "feeds_checked": 0}
FEEDS = ("application/rss+xml", "application/atom+xml", "application/feed+json", "text/x-opml")


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory):
    from feedsvc.web.app import create_app

    folder = tmp_path_factory.mktemp("fuzz")
    app = create_app({"TESTING": True, "CORPUS_DIR": str(copy_corpus(folder / "corpus")),
                      "INDEX_PATH": str(folder / "index.sqlite3"), "RELOAD_INTERVAL": 0,
                      "BACKGROUND_LOAD": False})
    client = app.test_client()
    yield client
    report("fuzz-http", inputs=sum(v for k, v in TRIED.items() if k != "feeds_checked"),
           feed_bodies_checked=TRIED["feeds_checked"], failures=0, **{k: v for k, v in TRIED.items()
                                                                      if k != "feeds_checked"})


_validated: set[bytes] = set()


def check(response, method: str = "GET") -> None:
    status = response.status_code
    body = response.get_data()
    assert status < 500, (status, body[:300])
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    if status == 304 or method == "HEAD":
        assert body == b""
        return
    if 400 <= status < 500:
        text = body.decode("utf-8")
        assert response.mimetype == "text/plain" and text.count("\n") == 1 and text.startswith(f"{status}: "), text
        return
    if status != 200:
        return
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    kind = response.mimetype
    if kind not in FEEDS and kind != "application/json":
        return
    TRIED["feeds_checked"] += 1
    if kind in ("application/feed+json", "application/json"):
        json.loads(body)
        return
    etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))  # well-formed, strictly
    digest = hashlib.sha256(body).digest()
    if digest not in _validated:
        assert body_problem(response.content_type, body) is None
        _validated.add(digest)


# --- strategies ------------------------------------------------------------------------------------

PREFIXES = ["/", "/feeds/", "/feeds/all.", "/articles/", "/categories/", "/static/", "/healthz", "/feeds.opml",
            "/feeds/thoi-su-chinh-tri.", "/articles/000_904bb3c4e8a3bd42"]
NASTY = ["..", "../", "%2e%2e", "%2E%2E%2F", "%00", "\x00", "%ff", "%", "%%", "//", "\\", ";", "?", "#", "~",
         "rss", "atom", "json", "xml", ".txt", "all", "\u202e", "\ufeff", "%C0%AE", "\u2024\u2024", "ﾠ", "𝕏"]
segment = st.one_of(st.sampled_from(NASTY), st.text(max_size=12),
                    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~%", max_size=20))
paths = st.builds(lambda prefix, parts: prefix + "".join(parts), st.sampled_from(PREFIXES),
                  st.lists(segment, max_size=5))

number_like = st.one_of(st.integers(-10**12, 10**12).map(str), st.sampled_from(
    ["", " 5", "5 ", "+5", "05", "0x10", "1e3", "5.0", "²", "١", "１", "٣", "NaN", "inf", "-0", "9" * 30]),
    st.text(max_size=8))
keys = st.one_of(st.sampled_from(["limit", "page", "format", "LIMIT", "limit[]", "", "page ", "f\x00"]),
                 st.text(max_size=6))
pairs = st.lists(st.tuples(keys, number_like), max_size=5)
raw_queries = st.one_of(
    pairs.map(lambda items: "&".join(f"{k}={v}" for k, v in items).encode("utf-8", "surrogatepass")),
    st.binary(max_size=60),
    st.lists(st.sampled_from([b"limit=5", b"page=2", b"&", b"=", b"%", b"%zz", b"%ff", b"+", b";", b"limit",
                              b"format=atom", b"format=json", b"page=%31"]), max_size=6).map(b"".join))

latin1 = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
                 max_size=80)
moments = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                       timezones=st.just(UTC))
dates = st.one_of(moments.map(lambda m: format_datetime(m, usegmt=True)),
                  moments.map(lambda m: m.strftime("%A, %d-%b-%y %H:%M:%S GMT")),
                  moments.map(lambda m: m.strftime("%a %b %d %H:%M:%S %Y")),
                  st.just("Tue, 26 Sep 2023 17:00:00 GMT"), latin1)
etags = st.one_of(st.just("*"), latin1,
                  st.lists(st.one_of(st.text(alphabet="0123456789abcdef-gz", max_size=40).map(lambda t: f'"{t}"'),
                                     st.just("W/"), st.just(","), st.just("*"), latin1), max_size=8).map(", ".join))
header_sets = st.fixed_dictionaries({}, optional={
    "If-None-Match": etags, "If-Modified-Since": dates, "If-Match": etags, "If-Unmodified-Since": dates,
    "If-Range": st.one_of(etags, dates), "Range": st.one_of(st.just("bytes=0-10"), latin1),
    "Accept-Encoding": st.one_of(st.sampled_from(["gzip", "gzip;q=0", "gzip;q=nan", "gzip;q=-1", "*", "br, gzip",
                                                  "identity;q=0", "gzip;q=1e400"]), latin1),
    "Host": st.one_of(st.sampled_from(["localhost", "feeds.example:8443", "[::1]:80", "a" * 64 + ".x"]), latin1),
    "Accept": latin1, "Cookie": latin1, "X-Forwarded-Host": latin1, "X-Forwarded-Proto": latin1,
})


# --- the properties ----------------------------------------------------------------------------------

@SETTINGS
@given(path=paths, method=st.sampled_from(["GET", "HEAD", "GET", "OPTIONS", "POST", "FUZZ"]))
def test_fuzzed_paths_never_5xx(fuzz_client, path, method):
    TRIED["paths"] += 1
    check(fuzz_client.open(path, method=method), method)


@SETTINGS
@given(path=st.sampled_from(["/feeds/all.rss", "/feeds/all.atom", "/feeds/all.json", "/feeds/y-te.atom",
                             "/feeds.opml", "/categories/thoi-su-chinh-tri", "/", "/healthz"]),
       query=raw_queries)
def test_fuzzed_query_strings_never_5xx(fuzz_client, path, query):
    TRIED["queries"] += 1
    # As a WSGI server hands it over: the raw bytes, latin-1 decoded.
    check(fuzz_client.get(path, environ_overrides={"QUERY_STRING": query.decode("latin-1")}))


@SETTINGS
@given(path=st.sampled_from(["/feeds/all.rss", "/feeds/all.atom?limit=5&page=2", "/feeds/all.json",
                             "/feeds.opml?format=atom", "/articles/000_904bb3c4e8a3bd42", "/categories/y-te", "/"]),
       headers=header_sets, use_real_etag=st.booleans())
def test_fuzzed_conditional_headers_never_5xx(fuzz_client, path, headers, use_real_etag):
    TRIED["headers"] += 1
    if use_real_etag:
        real = fuzz_client.get(path)
        if real.status_code == 200:
            headers = dict(headers, **{"If-None-Match": headers.get("If-None-Match", "") + ", " + real.headers["ETag"]})
    check(fuzz_client.get(path, headers=headers))


def test_a_304_answers_exactly_the_tags_and_dates_it_should(fuzz_client):
    """Anchors for the fuzzing above: the validators still work."""
    first = fuzz_client.get("/feeds/all.atom")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert fuzz_client.get("/feeds/all.atom", headers={"If-None-Match": etag}).status_code == 304
    assert fuzz_client.get("/feeds/all.atom", headers={"If-Modified-Since": modified}).status_code == 304
    later = format_datetime(datetime(2023, 9, 26, 17, tzinfo=UTC) - timedelta(seconds=1), usegmt=True)
    assert fuzz_client.get("/feeds/all.atom", headers={"If-Modified-Since": later}).status_code == 200
