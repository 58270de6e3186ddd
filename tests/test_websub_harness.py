"""The WebSub harness end to end, and the hub's behaviour that a publisher must design around.

A stand-in publisher (a Flask app on werkzeug's threaded server, in this process) serves small RSS
feeds with ``Link: <hub>; rel="hub"`` and ``Link: <self>; rel="self"`` and pings the hub as the
W3C WebSub Recommendation (2018), section 6, says. Each test below checks one row of the table in
websub_support's docstring by experiment, on a real hub (with its Celery worker) and a real
subscriber, each in its own process.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.utils import formatdate

import pytest
from flask import Flask, Response, request
from websub_support import Hub, Subscriber
from werkzeug.serving import make_server

pytestmark = pytest.mark.e2e  # a real hub and subscriber, each in its own process

LINK_REFUSED = "The Link header should contain both 'self' and 'hub' urls"


# --- the stand-in publisher -----------------------------------------------------------------------


@dataclass
class Topic:
    """One feed the stand-in serves at ``url``, and how it misbehaves."""

    publisher: StandInPublisher
    name: str
    items: list[str] = field(default_factory=lambda: ["First post"])
    status: int = 200
    delay: float = 0.0
    links: str = "one-header"  # one-header, two-headers, unquoted, body-only
    gzip: bool = False

    @property
    def url(self) -> str:
        return f"{self.publisher.base_url}/feed/{self.name}"

    def body(self) -> bytes:
        hub = self.publisher.hub_url
        items = "".join(f"<item><title>{t}</title><guid isPermaLink=\"false\">{self.name}-{i}</guid></item>"
                        for i, t in enumerate(self.items))
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
                f'xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>{self.name}</title>'
                f'<link>{self.publisher.base_url}/</link><description>stand-in</description>'
                f'<atom:link rel="self" href="{self.url}"/><atom:link rel="hub" href="{hub}"/>'
                f"{items}</channel></rss>").encode()

    def link_headers(self) -> list[str]:
        hub, me = self.publisher.hub_url, self.url
        return {"one-header": [f'<{hub}>; rel="hub", <{me}>; rel="self"'],
                "two-headers": [f'<{hub}>; rel="hub"', f'<{me}>; rel="self"'],
                "unquoted": [f"<{hub}>; rel=hub, <{me}>; rel=self"],  # valid RFC 8288 token form
                "body-only": []}[self.links]

    def ping(self, **form) -> Ping:
        """POST hub.mode=publish with hub.topic AND hub.url (FEEDS.md: hubs differ), or ``form``."""
        return self.publisher.ping(form or {"hub.mode": "publish", "hub.topic": self.url, "hub.url": self.url})

    def fetches(self) -> list[dict]:
        return [f for f in self.publisher.fetch_log() if f["name"] == self.name]


@dataclass(frozen=True)
class Ping:
    status: int
    text: str
    sent: float  # time.monotonic()
    answered: float


class StandInPublisher:
    def __init__(self, hub_url: str):
        self.hub_url = hub_url
        self.topics: dict[str, Topic] = {}
        self._fetches: list[dict] = []
        self._lock = threading.Lock()
        app = Flask("stand_in_publisher")
        app.add_url_rule("/feed/<name>", view_func=self._serve)
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def topic(self, name: str, **behaviour) -> Topic:
        self.topics[name] = Topic(self, name, **behaviour)
        return self.topics[name]

    def fetch_log(self) -> list[dict]:
        with self._lock:
            return list(self._fetches)

    def _serve(self, name: str):
        topic = self.topics[name]
        entry = {"name": name, "url": request.url, "headers": dict(request.headers), "start": time.monotonic()}
        with self._lock:
            self._fetches.append(entry)
        time.sleep(topic.delay)
        entry["end"] = time.monotonic()
        if topic.status != 200:
            return Response("unavailable\n", status=topic.status, headers={"Retry-After": "1"})
        body = topic.body()
        response = Response(body, content_type="application/rss+xml; charset=utf-8")
        for link in topic.link_headers():
            response.headers.add("Link", link)
        response.headers["ETag"] = f'"{len(topic.items)}"'
        response.headers["Last-Modified"] = formatdate(1_700_000_000 + len(topic.items), usegmt=True)
        if topic.gzip and "gzip" in request.headers.get("Accept-Encoding", ""):
            response.set_data(gzip.compress(body))
            response.headers["Content-Encoding"] = "gzip"
            response.headers["Vary"] = "Accept-Encoding"
        return response

    def ping(self, form: dict) -> Ping:
        data = urllib.parse.urlencode(form).encode()
        sent = time.monotonic()
        try:
            with urllib.request.urlopen(urllib.request.Request(self.hub_url, data=data), timeout=10) as answer:
                status, text = answer.status, answer.read().decode()
        except urllib.error.HTTPError as exc:
            with exc:  # it holds the connection
                status, text = exc.code, exc.read().decode()
        return Ping(status, text, sent, time.monotonic())


# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    with Hub(tmp_path_factory.mktemp("websub")) as hub:
        yield hub


@pytest.fixture(scope="module")
def sub(tmp_path_factory):
    with Subscriber(tmp_path_factory.mktemp("websub")) as sub:
        yield sub


@pytest.fixture(scope="module")
def publisher(hub):
    publisher = StandInPublisher(hub.url)
    yield publisher
    publisher.close()


def mine(sub: Subscriber, subscription) -> list:
    return [d for d in sub.deliveries() if d.callback_id == subscription.callback_id]


# --- the harness, end to end ------------------------------------------------------------------------


def test_subscriber_receives_the_changed_feed(tmp_path):
    started = time.monotonic()
    with Hub(tmp_path) as hub, Subscriber(tmp_path) as sub:
        publisher = StandInPublisher(hub.url)
        try:
            feed = publisher.topic("demo")
            subscription = sub.subscribe(feed.url)  # discovered from the feed's own Link headers
            assert (subscription.topic_url, subscription.hub_url) == (feed.url, hub.url)
            assert sub.deliveries() == []

            feed.items.insert(0, "Breaking: the feed changed")
            ping = feed.ping()
            assert ping.status == 202, ping.text
            [delivery] = sub.wait_for_deliveries(1, timeout=10)
        finally:
            publisher.close()

        assert delivery.topic == feed.url
        assert delivery.body == feed.body()
        assert b"Breaking: the feed changed" in delivery.body
        assert 'rel="self"' in delivery.headers["Link"]
        assert [(p["form"]["hub.topic"], p["status"]) for p in hub.pings()] == [(feed.url, 202)]
        # CLOCK_MONOTONIC is one clock for every process on Linux: the subscriber's stamp compares.
        assert delivery.received_monotonic > ping.sent
        print(f"\nping -> delivery latency {(delivery.received_monotonic - ping.sent) * 1000:.0f} ms "
              f"(202 after {(ping.answered - ping.sent) * 1000:.1f} ms); whole test {time.monotonic() - started:.1f} s")


def test_discovery_reads_link_headers_and_the_body(sub, publisher):
    # Headers first; with none, <atom:link rel="hub"/"self"> in the body (WebSub 4).
    for links in ("one-header", "two-headers", "unquoted", "body-only"):
        topic = publisher.topic(f"discover-{links}", links=links)
        assert sub.discover(topic.url) == {"hub_url": publisher.hub_url, "topic_url": topic.url}, links


# --- the hub's behaviour ----------------------------------------------------------------------------


def test_ping_is_answered_202_before_the_topic_answers(hub, sub, publisher):
    topic = publisher.topic("slow-2s", delay=2.0)
    subscription = sub.subscribe(topic.url, topic_url=topic.url, hub_url=hub.url)
    ping = topic.ping()
    assert ping.status == 202, ping.text
    [delivery] = sub.wait_for_deliveries(1, timeout=10, topic=topic.url)
    [fetch] = topic.fetches()
    # The 202 came back before the hub's GET was even answered: the fetch runs in the worker.
    assert ping.answered < fetch["end"]
    assert delivery.received_monotonic > fetch["end"]
    print(f"\n202 in {(ping.answered - ping.sent) * 1000:.1f} ms; hub GET started "
          f"{(fetch['start'] - ping.answered) * 1000:.0f} ms after the 202; delivered "
          f"{(delivery.received_monotonic - fetch['end']) * 1000:.0f} ms after the topic answered")
    assert mine(sub, subscription) == [delivery]


def test_hub_reads_hub_topic_and_ignores_hub_url(hub, sub, publisher):
    a, b = publisher.topic("param-a"), publisher.topic("param-b")
    sub_a = sub.subscribe(a.url, topic_url=a.url, hub_url=hub.url)
    sub_b = sub.subscribe(b.url, topic_url=b.url, hub_url=hub.url)

    only_url = a.ping(**{"hub.mode": "publish", "hub.url": a.url})
    assert only_url.status == 400 and "Missing form argument: hub.topic" in only_url.text
    query = urllib.parse.urlencode({"hub.mode": "publish", "hub.topic": a.url})
    with pytest.raises(urllib.error.HTTPError) as in_query:  # it reads the form body only
        urllib.request.urlopen(urllib.request.Request(f"{hub.url}?{query}", data=b""), timeout=10)
    in_query.value.close()
    assert in_query.value.code == 400
    both = a.ping(**{"hub.mode": "publish", "hub.topic": a.url, "hub.url": b.url})
    assert both.status == 202
    hub.wait_idle()

    assert len(a.fetches()) == 1 and b.fetches() == []
    assert len(mine(sub, sub_a)) == 1 and mine(sub, sub_b) == []


def test_delivery_only_to_the_byte_identical_topic(hub, sub, publisher):
    topic = publisher.topic("exact")
    subscription = sub.subscribe(topic.url, topic_url=topic.url, hub_url=hub.url)
    port = publisher.base_url.rsplit(":", 1)[1]
    variants = [f"http://localhost:{port}/feed/exact", topic.url + "?", topic.url.replace("/exact", "/%65xact")]
    for variant in variants:
        assert topic.ping(**{"hub.mode": "publish", "hub.topic": variant}).status == 202
    hub.wait_idle()
    # Each variant is the same resource and was fetched (with nobody subscribed to it) ...
    assert len(topic.fetches()) == len(variants)
    assert [n["error"] for n in hub.notifications() if n["args"][0] in variants] == [None] * len(variants)
    # ... and delivered to nobody.
    assert mine(sub, subscription) == []

    assert topic.ping().status == 202
    hub.wait_idle()
    assert len(mine(sub, subscription)) == 1


def test_link_header_needs_the_literal_quoted_rels(hub, sub, publisher):
    accepted, refused = ["one-header", "two-headers"], ["unquoted", "body-only"]
    topics = {links: publisher.topic(f"link-{links}", links=links) for links in accepted + refused}
    subscriptions = {links: sub.subscribe(t.url, topic_url=t.url, hub_url=hub.url) for links, t in topics.items()}
    for t in topics.values():
        assert t.ping().status == 202
    hub.wait_idle()

    for links, t in topics.items():
        [notification] = hub.notifications(t.url)
        got = len(mine(sub, subscriptions[links]))
        if links in accepted:
            assert (notification["error"], got) == (None, 1), links
        else:
            assert LINK_REFUSED in notification["error"] and got == 0, links


def test_no_deduplication_and_no_conditional_fetch(hub, sub, publisher):
    topic = publisher.topic("same-bytes")
    subscription = sub.subscribe(topic.url, topic_url=topic.url, hub_url=hub.url)
    for _ in range(2):
        assert topic.ping().status == 202
        hub.wait_idle()
    first, second = mine(sub, subscription)
    assert first.body == second.body == topic.body()
    fetches = topic.fetches()
    assert len(fetches) == 2
    # It was sent ETag and Last-Modified, and never asks "changed since?"
    assert not any(k.lower() in ("if-none-match", "if-modified-since") for f in fetches for k in f["headers"])
    print(f"\nhub GET headers: {fetches[1]['headers']}")


@pytest.mark.parametrize("status", [503, 404])
def test_a_failing_topic_loses_the_update(hub, sub, publisher, status):
    topic = publisher.topic(f"fails-{status}", status=status)
    subscription = sub.subscribe(topic.url, topic_url=topic.url, hub_url=hub.url)
    assert topic.ping().status == 202
    events = hub.wait_idle()  # nothing queued, not even a retry for later
    [notification] = hub.notifications(topic.url)
    assert notification["error"] == "NotificationError: Cannot get latest content from topic URL"
    assert len(topic.fetches()) == 1
    assert not any(e["event"] == "retry" and e["id"] == notification["id"] for e in events)
    assert mine(sub, subscription) == []


def test_a_topic_that_is_down_loses_the_update(hub, sub, publisher):
    # A closed port: the moment a restarting server refuses connections.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{probe.getsockname()[1]}/feed.xml"
    subscription = sub.subscribe(down, topic_url=down, hub_url=hub.url)
    assert publisher.ping({"hub.mode": "publish", "hub.topic": down, "hub.url": down}).status == 202
    hub.wait_idle()
    [notification] = hub.notifications(down)
    assert notification["error"] == "NotificationError: Cannot get latest content from topic URL"
    assert mine(sub, subscription) == []


def test_a_topic_slower_than_3s_is_dropped_after_3s(hub, sub, publisher):
    fast, slow = publisher.topic("answers-in-2s", delay=2.0), publisher.topic("answers-in-5s", delay=5.0)
    sub_fast = sub.subscribe(fast.url, topic_url=fast.url, hub_url=hub.url)
    sub_slow = sub.subscribe(slow.url, topic_url=slow.url, hub_url=hub.url)
    assert fast.ping().status == 202 and slow.ping().status == 202
    hub.wait_idle(timeout=20)

    [slow_end] = hub.notifications(slow.url)
    [slow_start] = [e for e in hub.tasks() if e["event"] == "start" and e["id"] == slow_end["id"]]
    [fetch] = slow.fetches()
    waited = slow_end["monotonic"] - slow_start["monotonic"]
    assert slow_end["error"] == "NotificationError: Cannot get latest content from topic URL"
    # REQUEST_TIMEOUT = 3 s, a read timeout: never sooner, and it did not wait for the answer.
    assert slow_start["monotonic"] + 2.9 < slow_end["monotonic"] < fetch["start"] + slow.delay, waited
    assert mine(sub, sub_slow) == []
    assert len(mine(sub, sub_fast)) == 1
    print(f"\nthe hub gave up on the 5 s topic after {waited:.2f} s")


def test_gzipped_topic_arrives_decoded_but_labelled_gzip(hub, sub, publisher):
    topic = publisher.topic("gzipped", gzip=True)
    subscription = sub.subscribe(topic.url, topic_url=topic.url, hub_url=hub.url)
    assert topic.ping().status == 202
    [delivery] = sub.wait_for_deliveries(1, topic=topic.url)
    [fetch] = topic.fetches()
    assert "gzip" in fetch["headers"]["Accept-Encoding"]
    assert delivery.body == topic.body()  # decoded by requests in the hub ...
    assert delivery.headers["Content-Encoding"] == "gzip"  # ... forwarded with the topic's headers
    assert int(delivery.headers["Content-Length"]) == len(delivery.body)
    for name in ("Link", "ETag", "Last-Modified", "Vary"):
        assert name in delivery.headers, name
    assert delivery.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert mine(sub, subscription) == [delivery]


def test_failed_deliveries_are_retried_and_410_unsubscribes(tmp_path, sub, publisher):
    # Its own hub: MAX_ATTEMPTS 2 and a 0.1 s BACKOFF_BASE, so the schedule runs in a second.
    with Hub(tmp_path, max_attempts=2, backoff_base=0.1) as fast_hub:
        publisher_hub, publisher.hub_url = publisher.hub_url, fast_hub.url
        try:
            topic = publisher.topic("retried")
            subscription = sub.subscribe(topic.url, topic_url=topic.url, hub_url=fast_hub.url)

            def posts():
                return [c["status"] for c in sub.callbacks()
                        if c["callback_id"] == subscription.callback_id and c["method"] == "POST"]

            sub.fail_next(2, 500)
            assert topic.ping().status == 202
            fast_hub.wait_idle()
            assert posts() == [500, 500, 200] and len(mine(sub, subscription)) == 1

            sub.fail_next(5, 503)
            assert topic.ping().status == 202
            events = fast_hub.wait_idle()
            assert posts()[3:] == [503, 503, 503]  # 1 + MAX_ATTEMPTS, then it gives up
            assert events[-1]["error"].startswith("MaxRetriesExceededError")
            assert len(mine(sub, subscription)) == 1

            sub.fail_next(1, 410)
            assert topic.ping().status == 202
            fast_hub.wait_idle()
            assert topic.ping().status == 202
            fast_hub.wait_idle()
            assert posts()[6:] == [410]  # Gone: the hub deleted the subscription ...
            assert len(topic.fetches()) == 4  # ... though it still fetched the topic for the last ping
        finally:
            publisher.hub_url = publisher_hub
