"""HTTP as a test needs it: raw bytes over a socket, one request per connection, and the oracle for
a response body (feedparser bozo 0 for RSS/Atom, json.loads for JSON). Nothing leaves 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import re
import socket
from dataclasses import dataclass
from urllib.parse import unquote

HOST = "127.0.0.1"
TAG_PREFIX = "tag:kontumtv.vn,2021:article:"
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")


def report(scenario: str, **figures) -> str:
    """One greppable line of figures (shown by ``pytest -s`` and by the bench script)."""
    line = f"RELIABILITY {scenario}: " + " ".join(f"{k}={v}" for k, v in figures.items())
    print(line, flush=True)
    return line


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


