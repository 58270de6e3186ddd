"""WebSub publishing (W3C WebSub Recommendation §5): tell hubs when a feed's first page changes.

A corpus listener in the watching process. For every listing a change touched it renders page 1
of each format (the bytes every process now serves) and compares its ETag with the one the hub
was last told about, kept in the index, so an unchanged feed (a change on page 3, a restart) is
never pinged: hubs do not deduplicate, and a ping makes them send the whole feed to every
subscriber. Before pinging it waits until every worker has acknowledged the change (see
corpus.reloader): a hub fetches the topic once, a few milliseconds after the ping, and a stale
or 503 answer loses the update. The pings (``hub.mode=publish`` with both ``hub.url`` and
``hub.topic``, hubs differ in which one they read) go out from a thread of their own, with
retries and backoff, and never delay a request.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from feedsvc.corpus.catalog import UnknownCategory
from feedsvc.corpus.indexer import Changes
from feedsvc.corpus.listings import AUTHOR
from feedsvc.publishing.formats import NAMES
from feedsvc.publishing.publisher import Publisher
from feedsvc.publishing.site import feed_path

log = logging.getLogger(__name__)
ACK_TIMEOUT = 10.0  # seconds to wait for every worker to serve a change before pinging anyway
RETRIES = (1.0, 4.0, 16.0)  # backoff between the attempts of one ping
_PINGED = "websub:"  # index note key prefix: the ETag a hub was last told about, per topic


@dataclass(frozen=True)
class Ping:
    topics: tuple[str, ...]
    seq: int  # the change log position every worker must have reached


Post = Callable[[str, dict[str, str]], int]  # (hub, form) -> HTTP status


def post_form(hub: str, form: dict[str, str]) -> int:
    """POST a form to a hub; its status (urllib raises on none)."""
    data = urllib.parse.urlencode(form).encode("ascii")
    request = urllib.request.Request(hub, data=data, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "User-Agent": "feedsvc (WebSub publisher)"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


class WebSubPinger:
    """Pings ``hubs`` for the feeds whose first page changed; counts what happened in :attr:`results`."""

    def __init__(self, hubs: tuple[str, ...], publisher: Publisher, base_url: str,
                 is_watching: Callable[[], bool], post: Post = post_form,
                 on_result: Callable[[str], None] = lambda result: None):
        self.on_result = on_result
        self.hubs = hubs
        self.publisher = publisher
        self.base_url = base_url
        self.is_watching = is_watching
        self.post = post
        self.results: Counter[str] = Counter()  # "ok", "failed", "retried", "unchanged"
        self._queue: queue.Queue[Ping] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="feedsvc-websub", daemon=True)
        self._thread.start()

    # -- the listener (the reloader's thread) ------------------------------------

    def __call__(self, changes: Changes) -> None:
        """Compare page 1 of each format of the listings that changed with what the hubs were told.

        Only the watching process tells hubs (and moves what they were told). Any process records
        a feed it is the first to see, without a ping: a new index is not news. A whole-folder scan
        in the watcher (at start, on taking over, and every rescan) compares every listing, so a
        change made while no process was watching is still told.
        """
        watching = self.is_watching()
        catalog = self.publisher.catalog
        slugs = set(changes.touched)
        if watching and changes.source_wide:
            slugs |= {"", *(slug for slug, _, _ in catalog.categories())}
            slugs |= {AUTHOR + slug for slug, _, _ in catalog.authors()}
        store = catalog.store
        topics = []
        for slug in sorted(slugs):
            for fmt in NAMES:
                topic = self.base_url + feed_path(slug, fmt)
                try:
                    etag = self.publisher.feed(self.base_url, slug, fmt).etag
                except UnknownCategory:
                    etag = "gone"  # the listing emptied: nothing for a hub to fetch
                told = store.note(_PINGED + topic)
                if told == etag:
                    self.results["unchanged"] += 1
                elif told is None or watching:
                    store.set_note(_PINGED + topic, etag, notify=False)
                    if told is not None and etag != "gone":
                        topics.append(topic)
        if topics:
            self._queue.put(Ping(tuple(topics), changes.seq))

    # -- the pinger's own thread ---------------------------------------------------

    def _run(self) -> None:
        while True:
            ping = self._queue.get()
            try:
                self._wait_for_workers(ping.seq)
                for hub in self.hubs:
                    for topic in ping.topics:
                        self._send(hub, topic)
            except Exception:  # the pinger must outlive any one failure
                log.exception("WebSub pinging failed")

    def _wait_for_workers(self, seq: int) -> None:
        """Until every live worker but this one has acknowledged ``seq`` (or ACK_TIMEOUT)."""
        if not seq:
            return
        store = self.publisher.catalog.store
        deadline = time.monotonic() + ACK_TIMEOUT
        while True:
            behind = [pid for pid, acked in store.acks().items() if pid != os.getpid() and acked < seq]
            gone = [pid for pid in behind if not _alive(pid)]
            if gone:
                store.forget_acks(gone)
            if not set(behind) - set(gone):
                return
            if time.monotonic() > deadline:
                log.warning("WebSub: workers %s still behind change %d after %.0fs; pinging anyway",
                            sorted(set(behind) - set(gone)), seq, ACK_TIMEOUT)
                return
            time.sleep(0.02)

    def _send(self, hub: str, topic: str) -> None:
        form = {"hub.mode": "publish", "hub.url": topic, "hub.topic": topic}
        for attempt, pause in enumerate((0.0, *RETRIES)):
            time.sleep(pause)
            try:
                status = self.post(hub, form)
            except OSError as exc:
                status, reason = 0, str(exc)
            else:
                reason = f"HTTP {status}"
            if 200 <= status < 300:
                self.results["ok"] += 1
                self.on_result("ok")
                log.info("WebSub: %s told %s changed (%s)", hub, topic, reason)
                return
            if attempt < len(RETRIES):
                self.results["retried"] += 1
                self.on_result("retried")
        self.results["failed"] += 1
        self.on_result("failed")
        log.warning("WebSub: %s was not told %s changed (%s, %d attempts)", hub, topic, reason, len(RETRIES) + 1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
