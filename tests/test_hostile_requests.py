"""Hostile requests: each gets a 4xx with a one-line reason (or is served normally when the
hostile part must be ignored), never a 500 or a traceback, and never poisons a self link.

Twice: through Flask's test client (extending test_web.py) and as raw bytes against a REAL
gunicorn started from the Procfile command, since a client library will not send most of these.
``pytest -s tests/test_hostile_requests.py`` prints the figures RELIABILITY.md quotes.
"""

from __future__ import annotations

import functools
import re
from collections import Counter

import pytest
from conftest import copy_corpus
from raw_http import body_problem, get, raw_http, report
from server import Server

ONE_LINE = re.compile(r"^(\d{3}): [^\n]+\n$")
# The module's app answers every malformed date with the same feed: each distinct body is parsed once.
same_body_problem = functools.lru_cache(maxsize=8)(body_problem)
SENT = Counter()


@pytest.fixture(scope="module", autouse=True)
def _figures():
    yield
    report("hostile-requests", test_client_requests=SENT["client"], raw_gunicorn_requests=SENT["raw"],
           gunicorn_client_requests=SENT["http.client"], failures=0)


@pytest.fixture(autouse=True)
def _count(monkeypatch):
    import raw_http as http_helpers
    from flask.testing import FlaskClient

    def counting(kind, original):
        def wrapper(*args, **kwargs):
            SENT[kind] += 1
            return original(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(FlaskClient, "open", counting("client", FlaskClient.open))
    monkeypatch.setitem(globals(), "raw_http", counting("raw", http_helpers.raw_http))
    monkeypatch.setitem(globals(), "get", counting("http.client", http_helpers.get))


def assert_one_line(status: int, mimetype: str, text: str, expected: int | tuple | None = None) -> None:
    assert 400 <= status < 500, (status, text[:200])
    if expected is not None:
        assert status in (expected if isinstance(expected, tuple) else (expected,)), (status, text[:200])
    assert mimetype == "text/plain", mimetype
    match = ONE_LINE.match(text)
    assert match and int(match.group(1)) == status, text[:300]
    assert "Traceback" not in text


# --- through the test client -------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """One app for the module (conftest's is per test): these tests only read."""
    from feedsvc.web.app import create_app

    folder = tmp_path_factory.mktemp("hostile-client")
    app = create_app({"TESTING": True, "CORPUS_DIR": str(copy_corpus(folder / "corpus")),
                      "INDEX_PATH": str(folder / "index.sqlite3"), "RELOAD_INTERVAL": 0, "BACKGROUND_LOAD": False})
    return app.test_client()


BAD_PARAMETERS = [
    "limit=%C2%B2", "limit=%D9%A1", "page=%EF%BC%91", "limit=%ff", "limit=1e3", "limit=+5", "limit=0x10",
    "limit=5.0", "limit=", "page=", "page=9999999999", "limit=-0", "limit=%00", "page=1&page=1",
    "limit=5&page=2&page=3", "limit=" + "9" * 500, "page=%20", "limit=1;page=2",
]


PARAMETER_CASES = [(path, query) for path in ("/feeds/all.rss", "/feeds/all.json", "/categories/thoi-su-chinh-tri")
                   for query in BAD_PARAMETERS if not (path.startswith("/categories") and "limit" in query)]


@pytest.mark.parametrize("path, query", PARAMETER_CASES)
def test_unusable_paging_parameters_are_400(client, path, query):
    response = client.get(f"{path}?{query}")
    assert_one_line(response.status_code, response.mimetype, response.data.decode(), 400)


TRAVERSALS = [
    "/articles/..", "/articles/...", "/articles/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/articles/..%5c..%5cwin.ini",
    "/articles/%252e%252e%252fsecret", "/articles/%00", "/articles/x%00.txt", "/articles/000_904bb3c4e8a3bd42.txt",
    "/articles/%2fetc%2fpasswd", "/categories/..%2F..%2Fetc", "/categories/%2e%2e", "/categories/%00",
    "/feeds/%00.rss", "/feeds/..%2Fall.rss", "/feeds/all%00.rss", "/feeds/all.rss%00", "/feeds/%2e%2e%2fall.json",
    "/static/..%2f..%2fsettings.py", "/static/%2e%2e/app.py", "/feeds/all.rss/..",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_in_slugs_and_ids_is_a_4xx(client, path):
    response = client.get(path)
    assert_one_line(response.status_code, response.mimetype, response.data.decode(), (404, 400, 308))


METHODS = ["POST", "PUT", "DELETE", "PATCH", "TRACE", "CONNECT", "PROPFIND", "BREW", "FOO", "M-SEARCH", "X" * 40]


@pytest.mark.parametrize("method", METHODS)
def test_unknown_and_made_up_methods_are_4xx_everywhere(client, method):
    for path in ("/feeds/all.rss", "/healthz", "/", "/articles/000_904bb3c4e8a3bd42", "/feeds.opml", "/nope"):
        response = client.open(path, method=method)
        assert_one_line(response.status_code, response.mimetype, response.data.decode(), (404, 405))
        if response.status_code == 405:
            assert "GET" in response.headers["Allow"]


MALFORMED_DATES = [
    "yesterday", "0", "-1", "Mon, 99 Feb 99999 99:99:99 GMT", "Sun, 06 Nov 99999 08:49:37 GMT",
    "Thu, 01 Jan 0000 00:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 +9999", "Sun, 06 Nov 1994 25:61:61 GMT",
    "\x00", "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT", "9" * 400, "x" * 100_000,
]


@pytest.mark.parametrize("value", MALFORMED_DATES, ids=lambda v: v[:30])
def test_malformed_if_modified_since_is_ignored(client, value):
    response = client.get("/feeds/all.rss", headers={"If-Modified-Since": value})
    assert response.status_code == 200  # RFC 9110 §13.1.3: an invalid date is ignored
    assert same_body_problem(response.content_type, response.data) is None


@pytest.mark.parametrize("raw", ["\x80", "limit=\xff\xfe", "page=\xc3", "a=\xed\xa0\x80"])
def test_a_query_string_that_is_not_utf8_is_400(client, raw):
    # What a WSGI server hands over for raw 8-bit bytes (gunicorn refuses them itself; others pass them).
    for path in ("/feeds/all.rss", "/categories/y-te", "/", "/healthz"):
        response = client.get(path, environ_overrides={"QUERY_STRING": raw})
        assert_one_line(response.status_code, response.mimetype, response.data.decode(), 400)


@pytest.mark.e2e  # megabyte headers, parsed again and again: a stress test
def test_huge_if_none_match_is_answered_normally(client):
    etag = client.get("/feeds/all.atom").headers["ETag"]
    junk = ", ".join(f'"{n:08x}"' for n in range(100_000))  # 1.2 MB of tags
    response = client.get("/feeds/all.atom", headers={"If-None-Match": junk})
    assert response.status_code == 200 and body_problem(response.content_type, response.data) is None
    assert client.get("/feeds/all.atom", headers={"If-None-Match": junk + ", " + etag}).status_code == 304
    for value in ('"' * 100_000, "W/" * 50_000, ",,,,," * 20_000, "*" * 1000, '"unterminated'):
        assert client.get("/feeds/all.atom", headers={"If-None-Match": value}).status_code in (200, 304)


POISON = [
    {"X-Forwarded-Host": "evil.example"}, {"X-Forwarded-Proto": "https"}, {"X-Forwarded-Port": "666"},
    {"X-Forwarded-Prefix": "/evil"}, {"X-Forwarded-Server": "evil.example"}, {"X-Forwarded-Ssl": "on"},
    {"X-Forwarded-Protocol": "ssl"}, {"Forwarded": 'for=1.2.3.4;host=evil.example;proto=https'},
    {"X-Original-Host": "evil.example"}, {"X-Host": "evil.example"}, {"X-Original-URL": "/evil"},
    {"X-Rewrite-URL": "/evil"}, {"X-HTTP-Host-Override": "evil.example"}, {"X-Forwarded-For": "evil.example"},
]


@pytest.mark.parametrize("headers", POISON, ids=lambda h: next(iter(h)))
def test_forwarded_headers_cannot_poison_self_links_when_no_proxy_is_trusted(client, headers):
    for path in ("/feeds/all.atom", "/feeds/all.rss", "/feeds/all.json", "/feeds.opml"):
        body = client.get(path, headers=headers).data
        assert b"evil" not in body and b"https://localhost" not in body and b":666" not in body, path
        assert b"http://localhost/feeds/" in body


def test_one_clients_host_header_never_reaches_another_client(client):
    poisoned = client.get("/feeds/all.atom", headers={"Host": "attacker.example:8080"}).data
    assert b"http://attacker.example:8080/feeds/all.atom" in poisoned  # its own answer names its Host…
    for path in ("/feeds/all.atom", "/", "/feeds.opml"):
        assert b"attacker" not in client.get(path).data  # …but the cache keeps it to that Host


@pytest.mark.parametrize("host", ["evil.example/..", "a b", "evil.example:99999999", "[::1", "-" * 300 + ".x",
                                  "evil.example\t", "évil.example", "evil.example:80:80", "@evil.example",
                                  "-.-", "a..b", "a.-b.c", "evil.example:99999", "evil.example:0",
                                  "evil.example:080", "[::1]x", "x" * 64 + ".example"])
def test_unusable_host_headers_are_400(client, host):
    response = client.get("/feeds/all.rss", headers={"Host": host})
    assert_one_line(response.status_code, response.mimetype, response.data.decode(), 400)


def _app(tmp_path, corpus, **config):
    from feedsvc.web.app import create_app

    return create_app({"TESTING": True, "CORPUS_DIR": str(corpus), "INDEX_PATH": "memory", "RELOAD_INTERVAL": 0,
                       "BACKGROUND_LOAD": False, **config})


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """One app behind one trusted proxy for the module's tests that only send it requests."""
    folder = tmp_path_factory.mktemp("hostile-proxied")
    return _app(folder, copy_corpus(folder / "corpus"), PROXY_HOPS=1)


@pytest.mark.parametrize("headers", [
    {"X-Forwarded-Proto": "javascript:alert(1)//"}, {"X-Forwarded-Proto": "ftp"}, {"X-Forwarded-Proto": "https://x"},
    {"X-Forwarded-Host": "[:::::]"}, {"X-Forwarded-Host": "-.-"}, {"X-Forwarded-Host": "a b"},
    {"X-Forwarded-Port": "99999"}, {"X-Forwarded-Port": "abc"}, {"X-Forwarded-Port": "0"},
], ids=lambda h: f"{next(iter(h))}={next(iter(h.values()))}")
def test_a_trusted_proxy_s_forged_values_are_400_never_links(proxied, headers):
    client = proxied.test_client()
    response = client.get("/feeds/all.rss", headers=headers)
    assert_one_line(response.status_code, response.mimetype, response.data.decode(), 400)


def test_links_built_from_a_trusted_proxy_vary_on_what_they_are_built_from(proxied):
    client = proxied.test_client()
    answer = client.get("/feeds/all.atom", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "feeds.vn"})
    assert b'href="https://feeds.vn/feeds/all.atom" rel="self"' in answer.data
    # A shared cache must key on every header the bytes depend on (RFC 9110 §12.5.5).
    assert answer.headers["Vary"] == "Accept-Encoding, X-Forwarded-Proto, X-Forwarded-Host, X-Forwarded-Port"


def test_with_a_base_url_no_header_changes_a_link(tmp_path, corpus):
    client = _app(tmp_path, corpus, PROXY_HOPS=1, BASE_URL="https://feeds.kontumtv.vn").test_client()
    forged = {"Host": "evil.example", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example",
              "X-Forwarded-Port": "8443"}
    for path in ("/feeds/all.rss", "/feeds/all.atom", "/feeds/all.json", "/feeds.opml", "/feeds"):
        body = client.get(path, headers=forged).data
        assert b"evil.example" not in body and b"https://feeds.kontumtv.vn/" in body, path
    assert client.get("/feeds/all.rss", headers=forged).headers["Vary"] == "Accept-Encoding"


def test_a_slash_redirect_points_at_the_base_url_not_the_host_header(tmp_path, corpus):
    app = _app(tmp_path, corpus, BASE_URL="https://feeds.kontumtv.vn")
    with app.test_request_context():
        from werkzeug.routing import RequestRedirect

        from feedsvc.web.guard import redirect

        answer = redirect(RequestRedirect("http://evil.example/feeds/all.rss?page=2"))
    assert answer.status_code == 308 and answer.headers["Location"] == "https://feeds.kontumtv.vn/feeds/all.rss?page=2"


def test_a_huge_accept_encoding_with_parameters_is_not_parsed(client):
    huge = ";".join(["gzip;q=0.5"] * 20000)  # 220 KB of q-values
    response = client.get("/feeds/all.rss", headers={"Accept-Encoding": huge})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers  # identity, at once
    assert client.get("/feeds/all.rss", headers={"Accept-Encoding": "gzip;q=1.0, br;q=0.5"}).headers[
        "Content-Encoding"] == "gzip"


def test_every_error_answer_carries_the_security_headers(app):
    client = app.test_client()  # its own app: this test makes it unready
    answers = [client.get("/" + "a" * 3000), client.get("/feeds/all.rss?limit=x"), client.open("/", method="BREW"),
               client.get("/nope"), client.get("/feeds/all.rss", headers={"Host": "a b"})]
    app.extensions["feedsvc"].catalog.ready.clear()
    answers.append(client.get("/feeds/all.rss"))
    for response in answers:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.status_code in (400, 404, 405, 414, 503)


# --- against a real gunicorn, byte for byte ----------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("hostile-requests")
    with Server.for_corpus(workdir, copy_corpus(workdir / "corpus"), workers=2) as server:
        server.wait_ready()
        yield server


def request(line: str, *headers: str, host: str | None = "localhost") -> bytes:
    lines = [line] + ([f"Host: {host}"] if host is not None else []) + list(headers) + ["Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# (id, raw request, statuses allowed). gunicorn answers some before the app sees them (its own short
# HTML page); everything the app answers is text/plain "NNN: reason".
RAW = [
    ("dotdot", request("GET /articles/../../etc/passwd HTTP/1.1"), (404,)),
    ("dotdot-feed", request("GET /feeds/../../etc/passwd.rss HTTP/1.1"), (404,)),
    ("pct-dotdot", request("GET /articles/%2e%2e/%2e%2e/etc/passwd HTTP/1.1"), (404,)),
    ("pct-slash", request("GET /feeds/..%2f..%2fetc%2fpasswd.rss HTTP/1.1"), (404,)),
    ("backslash", request("GET /articles/..\\..\\win.ini HTTP/1.1"), (400, 404)),
    ("pct-nul", request("GET /articles/a%00b HTTP/1.1"), (404,)),
    ("raw-nul", b"GET /articles/a\x00b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", (400,)),
    ("url-3000", request("GET /feeds/all.rss?" + "a" * 3000 + " HTTP/1.1"), (414,)),
    ("url-9000", request("GET /" + "a" * 9000 + " HTTP/1.1"), (400, 414)),
    ("limit-neg", request("GET /feeds/all.rss?limit=-1 HTTP/1.1"), (400,)),
    ("limit-huge", request("GET /feeds/all.rss?limit=1000000000 HTTP/1.1"), (400,)),
    ("page-abc", request("GET /feeds/all.rss?page=abc HTTP/1.1"), (400,)),
    ("limit-twice", request("GET /feeds/all.rss?limit=5&limit=6 HTTP/1.1"), (400,)),
    ("limit-sup2", request("GET /feeds/all.rss?limit=%C2%B2 HTTP/1.1"), (400,)),
    ("method-foo", request("FOO /feeds/all.rss HTTP/1.1"), (405,)),
    ("method-brew", request("BREW /healthz HTTP/1.1"), (405,)),
    ("method-trace", request("TRACE / HTTP/1.1"), (405,)),
    ("method-post", request("POST /feeds/all.rss HTTP/1.1", "Content-Length: 3") + b"abc", (405,)),
    ("method-lower", request("get /feeds/all.rss HTTP/1.1"), (400,)),
    ("method-symbol", request("G@T /feeds/all.rss HTTP/1.1"), (400,)),
    ("method-long", request("A" * 300 + " / HTTP/1.1"), (400, 405)),
    ("connect", request("CONNECT localhost:80 HTTP/1.1"), (400, 404, 405)),
    ("options-star", request("OPTIONS * HTTP/1.1"), (400, 404)),
    ("version-9", request("GET /feeds/all.rss HTTP/9.9"), (400, 505)),
    ("no-host-1.1", request("GET /feeds/all.rss HTTP/1.1", host=None), (400,)),
    # HTTP/1.0 needs no Host, but the links would name the bind address: only a health probe goes on.
    ("no-host-1.0", request("GET /feeds/all.rss HTTP/1.0", host=None), (400,)),
    ("no-host-1.0-healthz", request("GET /healthz HTTP/1.0", host=None), (200,)),
    ("host-bad-ipv6", request("GET /feeds/all.rss HTTP/1.1", host="[:::::]"), (400,)),
    ("two-hosts", request("GET /feeds/all.rss HTTP/1.1", "Host: evil.example"), (400,)),
    ("bad-host", request("GET /feeds/all.rss HTTP/1.1", host='evil"><script>'), (400,)),
    ("non-ascii-host", request("GET /feeds/all.rss HTTP/1.1", host="\xe9vil.example"), (400,)),
    ("inm-9000", request("GET /feeds/all.rss HTTP/1.1", "If-None-Match: " + '"x",' * 2250), (400, 431)),
    ("many-headers", request("GET / HTTP/1.1", *(f"X-A{n}: b" for n in range(200))), (400, 431)),
    ("smuggle", request("GET / HTTP/1.1", "Transfer-Encoding: chunked", "Content-Length: 5") + b"0\r\n\r\n", (400,)),
    ("bad-length", request("GET / HTTP/1.1", "Content-Length: -1"), (400,)),
    ("bad-header-name", request("GET / HTTP/1.1", "X-Bad\x01: y"), (400,)),
    ("raw-8bit-query", b"GET /feeds/all.rss?\x80 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", (400,)),
    ("raw-utf8-path", b"GET /\xc3\xa9 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", (400, 404)),
    ("tls-hello", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 40 + b"\r\n\r\n", (400,)),
    ("proxy-protocol", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n" + request("GET / HTTP/1.1"), (400,)),
]


@pytest.mark.e2e
@pytest.mark.parametrize("name, data, statuses", RAW, ids=[case[0] for case in RAW])
def test_raw_hostile_requests_against_gunicorn(served, name, data, statuses):
    answer = raw_http(served.port, data)
    assert answer.status in statuses, (answer.status, answer.raw[:400])
    assert b"Traceback" not in answer.raw
    if answer.headers.get("content-type", "").startswith("text/plain"):  # the app's answer
        assert_one_line(answer.status, "text/plain", answer.body.decode("utf-8"), statuses)
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in answer.headers["content-security-policy"]
    else:  # gunicorn's own rejection: a short, escaped page
        assert len(answer.body) < 2048 and answer.reason_text
        assert b"<script>" not in answer.body and b'"><' not in answer.body


@pytest.mark.e2e
@pytest.mark.parametrize("headers", POISON + [{"Host": "localhost", "X-Forwarded-Proto": "https",
                                               "X-Forwarded-Host": "evil.example"}], ids=lambda h: "+".join(h))
def test_forwarded_headers_cannot_poison_self_links_on_gunicorn(served, headers):
    # http.client sends Host: 127.0.0.1:<port>; gunicorn trusts X-Forwarded-* from 127.0.0.1 by default,
    # FEEDSVC_PROXY_HOPS=0 must still win.
    headers = dict(headers)
    host = headers.pop("Host", f"127.0.0.1:{served.port}")
    status, _, body = get(served.port, "/feeds/all.atom", dict(headers, Host=host))
    assert status == 200
    assert re.findall(rb'<link href="([^"]+)" rel="self"', body) == [f"http://{host}/feeds/all.atom".encode()]
    assert b"evil" not in body and b"https://127.0.0.1" not in body


@pytest.mark.e2e
def test_an_absolute_form_request_target_does_not_override_the_host_for_links(served):
    answer = raw_http(served.port, request("GET http://evil.example/feeds/all.atom HTTP/1.1"))
    assert answer.status in (200, 400)
    assert b"evil.example" not in answer.body


@pytest.mark.e2e
def test_the_service_is_unharmed_after_the_barrage(served):
    failures = 0
    for _, data, statuses in RAW * 2:
        answer = raw_http(served.port, data)
        failures += answer.status not in statuses or b"Traceback" in answer.raw
    status, headers, body = get(served.port, "/feeds/all.rss")
    assert status == 200 and body_problem(headers["content-type"], body) is None
    assert get(served.port, "/healthz")[0] == 200
    log = served.log()
    assert "Traceback" not in log and "[CRITICAL]" not in log and "WORKER TIMEOUT" not in log
    assert " 500 " not in "\n".join(line for line in log.splitlines() if "gunicorn.access" in line)
    assert failures == 0


@pytest.mark.e2e
def test_a_script_name_header_is_not_a_500(served):
    answer = raw_http(served.port, request("GET /feeds/all.atom HTTP/1.1", "SCRIPT_NAME: /evil"))
    assert answer.status is not None and answer.status < 500, answer.raw[:300]
