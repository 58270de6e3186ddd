"""The document cache: bounded in bytes whatever goes in, least recently used out first, and
dropped by the listings a document shows."""

from __future__ import annotations

import gzip
import random
import threading
from collections import OrderedDict

import pytest

from feedsvc.publishing.cache import Document, DocumentCache, make_document


def doc(size: int, seed: int = 0) -> Document:
    # Random bytes barely compress: the gzip coding costs about as much as the body.
    return make_document(random.Random(seed).randbytes(size), "application/rss+xml")


class Builds:
    """A build function that counts its calls and hands out the documents it is given."""

    def __init__(self, document: Document):
        self.document = document
        self.calls = 0

    def __call__(self) -> Document:
        self.calls += 1
        return self.document


def cached(cache: DocumentCache, key) -> bool:
    """Whether ``key`` is in the cache. A hit counts as a use; a miss builds a document too large
    to keep, so probing evicts nothing."""
    probe = Builds(make_document(bytes(cache.max_bytes + 1), "text/plain"))
    cache.get(key, probe)
    return probe.calls == 0


def test_a_document_is_its_bytes_gzipped_once_with_a_strong_etag_from_them():
    body = "<rss>Đắk Hà</rss>".encode() * 50
    first, again = make_document(body, "application/rss+xml"), make_document(body, "application/rss+xml")
    assert gzip.decompress(first.gzipped) == body and len(first.gzipped) < len(body)
    assert (first.etag, first.gzipped) == (again.etag, again.gzipped)  # every worker computes the same
    assert first.etag != make_document(body + b" ", "application/rss+xml").etag
    assert first.gzip_etag == first.etag + "-gz" and first.media_type == "application/rss+xml"


def test_get_builds_once_then_hits_and_counts_both():
    cache = DocumentCache()
    build = Builds(doc(100))
    assert cache.get("k", build) is build.document
    assert cache.get("k", build) is build.document
    assert cache.get("k", Builds(doc(5))) is build.document  # the key decides, not the builder
    assert (build.calls, cache.builds, cache.hits, len(cache)) == (1, 1, 2, 1)
    assert cache.bytes == DocumentCache.cost(build.document)


def test_the_byte_bound_holds_under_many_inserts_and_evicts_least_recently_used_first():
    rng = random.Random(11)
    documents = {key: doc(rng.choice([10, 200, 1500, 6000, 20_000]), key) for key in range(60)}
    cache = DocumentCache(max_bytes=40_000)
    model: OrderedDict[int, int] = OrderedDict()  # key -> cost, least recently used first
    for _ in range(2000):
        key = rng.randrange(60)
        cache.get(key, Builds(documents[key]))
        cost = DocumentCache.cost(documents[key])
        if key in model:
            model.move_to_end(key)
        elif cost <= cache.max_bytes:
            model[key] = cost
            while sum(model.values()) > cache.max_bytes:
                model.popitem(last=False)
        assert cache.bytes <= cache.max_bytes
        assert cache.bytes == sum(model.values()) and len(cache) == len(model)
    assert cache.hits + cache.builds == 2000 and cache.hits > 0
    assert [key for key in range(60) if cached(cache, key)] == sorted(model)


def test_least_recently_used_goes_first():
    one = doc(1000)
    cache = DocumentCache(max_bytes=3 * DocumentCache.cost(one))
    for key in "abc":
        cache.get(key, Builds(doc(1000, ord(key))))
    cache.get("a", Builds(one))  # a is now the most recently used; b the least
    cache.get("d", Builds(doc(1000, 4)))
    assert [key for key in "acd" if cached(cache, key)] == ["a", "c", "d"]
    assert not cached(cache, "b")


def test_a_document_larger_than_the_whole_cache_is_served_but_not_kept():
    cache = DocumentCache(max_bytes=5000)
    small, huge = Builds(doc(100)), Builds(doc(6000))
    cache.get("small", small)
    assert cache.get("huge", huge) is huge.document
    assert cache.get("huge", huge) is huge.document
    assert huge.calls == 2 and cache.builds == 3
    assert len(cache) == 1 and cache.bytes == DocumentCache.cost(small.document)  # and it evicted nothing
    assert cached(cache, "small")


def test_invalidate_drops_what_shows_a_listing_and_the_bytes_follow():
    cache = DocumentCache(max_bytes=100_000)
    documents = {key: doc(300, n) for n, key in enumerate(["site", "kinh-te", "both", "untagged"])}
    tags = {"site": {""}, "kinh-te": {"kinh-te"}, "both": {"", "kinh-te"}, "untagged": set()}
    for key, document in documents.items():
        cache.get(key, Builds(document), frozenset(tags[key]))
    assert cache.invalidate(set()) == 0 and cache.invalidate({"y-te"}) == 0 and len(cache) == 4
    assert cache.invalidate({"kinh-te"}) == 2
    assert cache.bytes == DocumentCache.cost(documents["site"]) + DocumentCache.cost(documents["untagged"])
    assert [key for key in documents if cached(cache, key)] == ["site", "untagged"]
    assert cache.invalidate({"", "kinh-te"}) == 1
    assert len(cache) == 1 and cache.bytes == DocumentCache.cost(documents["untagged"])


@pytest.mark.parametrize("builders", [2, 8])
def test_builders_racing_for_one_key_leave_it_counted_once(builders):
    # Builds run outside the lock: several requests may build the same document at once.
    cache = DocumentCache()
    barrier = threading.Barrier(builders)
    document = doc(500)

    def build() -> Document:
        barrier.wait(10)  # every thread is building before any stores
        return document

    threads = [threading.Thread(target=cache.get, args=("k", build)) for _ in range(builders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert cache.builds == builders and len(cache) == 1
    assert cache.bytes == DocumentCache.cost(document)


def test_a_stream_of_one_off_searches_never_pushes_out_the_polled_feeds():
    cache = DocumentCache(200_000, zones={"searches": 50_000})
    feeds = {f"feed-{n}": doc(10_000, n) for n in range(6)}  # 124 KB: within the 150 KB left to them
    for key, document in feeds.items():
        cache.get(key, Builds(document), frozenset({"all"}))
    for n in range(100):  # 100 distinct queries, 1 MB of results: 20 times the searches' share
        cache.get(("search", n), Builds(doc(10_000, 1000 + n)), frozenset({"all"}), zone="searches")
        assert cache.bytes <= cache.max_bytes
    hits = cache.hits
    for key, document in feeds.items():
        assert cache.get(key, Builds(doc(1, 7))) is document  # still the first build: never evicted
    assert cache.hits == hits + len(feeds)
    recent = Builds(doc(1, 8))
    cache.get(("search", 99), recent, zone="searches")
    assert recent.calls == 0  # the latest search is kept, within its share
    old = Builds(doc(1, 9))
    cache.get(("search", 0), old, frozenset({"all"}), zone="searches")
    assert old.calls == 1  # the oldest went, inside the searches' share only
    kept = len(cache)
    assert cache.invalidate({"all"}) == kept  # a change drops every zone's documents of the listing
    assert len(cache) == 0 and cache.bytes == 0
