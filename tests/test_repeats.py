"""A repeated request is answered before Flask (web.repeats): the same answer, never a stale one."""

from __future__ import annotations

import gc
import random

import pytest
from prometheus_client import REGISTRY
from werkzeug.test import Client

from feedsvc.corpus.listings import ALL
from feedsvc.web import repeats as repeats_module
from feedsvc.web.app import create_app

NEW_ARTICLE = (" date 2024-03-03 Kinh tế Bài mới về cà phê\n\n(kontumtv.vn) – Sáng 3/3, giá cà phê tăng.\n\n"
               "Minh Châu\n")
SHAPES = [
    ("/feeds/all.rss", {}),
    ("/feeds/all.rss", {"Accept-Encoding": "gzip, deflate, br"}),
    ("/feeds/kinh-te.atom", {"Accept-Encoding": "gzip"}),
    ("/feeds/all.json", {}),
    ("/feeds/all.rss?limit=5&page=2", {}),
    ("/feeds.opml", {}),
    ("/search.rss?q=kon+tum", {}),
    ("/", {}),
    ("/categories/kinh-te", {"Accept-Encoding": "gzip"}),
]


def _repeats(app) -> repeats_module.Repeats:
    return app.extensions["feedsvc.repeats"]


def _same(first, second) -> None:
    def headers(response):
        return [(name, value) for name, value in response.headers if name != "X-Request-ID"]

    assert (second.status, headers(second), second.data) == (first.status, headers(first), first.data)


@pytest.mark.parametrize(("path", "headers"), SHAPES)
def test_a_repeat_gets_flasks_answer_byte_for_byte(shared_client, path, headers):
    repeats = _repeats(shared_client.application)
    flask = Client(repeats.wsgi_app)  # Flask's app itself, past the repeats
    first = flask.get(path, headers=headers)
    assert first.status_code == 200, first.data[:200]
    tag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    for validator in ({}, {"If-None-Match": tag}, {"If-Modified-Since": modified}):
        wanted = flask.get(path, headers={**headers, **validator})  # and kept for its repeats
        assert wanted.status_code == (304 if validator else 200)
        before = repeats.answered
        _same(wanted, shared_client.get(path, headers={**headers, **validator}))
        assert repeats.answered == before + 1, "the repeat should not have reached Flask"


def test_what_it_cannot_decide_exactly_goes_to_flask(client):
    repeats = _repeats(client.application)
    first = client.get("/feeds/all.rss")
    client.get("/feeds/all.rss", headers={"If-None-Match": first.headers["ETag"]})
    answered = repeats.answered
    tag = first.headers["ETag"]
    for headers in ({"If-None-Match": f'"other", {tag}'}, {"If-None-Match": "*"}, {"If-None-Match": f"W/{tag}"},
                    {"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}):
        assert client.get("/feeds/all.rss", headers=headers).status_code in (200, 304)
    assert client.head("/feeds/all.rss").status_code == 200
    assert client.get("/feeds/all.rss", headers={"Accept-Encoding": "gzip"}).status_code == 200  # another shape
    assert repeats.answered == answered


def test_a_change_is_served_at_once_never_a_remembered_answer(app, client, corpus, clock):
    old = client.get("/feeds/kinh-te.rss")
    assert client.get("/feeds/kinh-te.rss").data == old.data  # remembered
    # The old document stays alive (as it would while another thread still sends it): only the
    # catalog's edition can tell that it is stale.
    held = app.extensions["feedsvc"].publisher.feed("http://localhost", "kinh-te", "rss")
    assert held.body == old.data
    (corpus / "990_repeat.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    app.extensions["feedsvc"].reloader.load()
    # The listing's new clock is this second: until it has passed, no Last-Modified, and nothing kept.
    fresh = client.get("/feeds/kinh-te.rss")
    assert "Bài mới về cà phê" in fresh.data.decode() and fresh.headers["ETag"] != old.headers["ETag"]
    assert client.get("/feeds/kinh-te.rss", headers={"If-None-Match": old.headers["ETag"]}).status_code == 200
    assert "Last-Modified" not in fresh.headers
    clock.tick(2)
    dated = client.get("/feeds/kinh-te.rss")
    assert dated.headers["ETag"] == fresh.headers["ETag"] and "Last-Modified" in dated.headers
    answered = _repeats(app).answered
    _same(dated, client.get("/feeds/kinh-te.rss"))
    assert _repeats(app).answered == answered + 1
    # Removed: gone from the next answer.
    (corpus / "990_repeat.txt").unlink()
    app.extensions["feedsvc"].reloader.load()
    assert "Bài mới về cà phê" not in client.get("/feeds/kinh-te.rss").data.decode()


def test_a_repeat_carries_its_own_request_id(client):
    client.get("/feeds/all.atom")
    given = client.get("/feeds/all.atom", headers={"X-Request-ID": "router-abc-123"})
    assert given.headers["X-Request-ID"] == "router-abc-123"
    made = {client.get("/feeds/all.atom").headers["X-Request-ID"] for _ in range(3)}
    assert len(made) == 3 and all(len(value) == 32 for value in made)


def test_a_document_no_longer_held_is_not_served_from_memory(client):
    repeats = _repeats(client.application)
    cache = client.application.extensions["feedsvc"].cache
    first = client.get("/feeds/all.json")
    cache.invalidate({ALL})  # evicted (as the LRU would), and nothing else holds it
    gc.collect()
    answered = repeats.answered
    _same(first, client.get("/feeds/all.json"))  # built again by Flask: the same bytes
    assert repeats.answered == answered


def test_the_memory_is_bounded(client, monkeypatch):
    monkeypatch.setattr(repeats_module, "KEPT", 4)
    repeats = _repeats(client.application)
    for limit in range(1, 11):
        client.get(f"/feeds/all.rss?limit={limit}")
    assert 0 < len(repeats._known) <= 4


def test_requests_answered_early_are_counted(corpus, tmp_path, clock):
    app = create_app({"TESTING": True, "CORPUS_DIR": str(corpus), "INDEX_PATH": str(tmp_path / "index.sqlite3"),
                      "RELOAD_INTERVAL": 0, "BACKGROUND_LOAD": False, "CLOCK": clock, "METRICS_TOKEN": "t"})
    clock.tick(2)
    client, repeats = app.test_client(), _repeats(app)

    def counted() -> tuple[float, ...]:  # the counters are the process's: compare before and after
        return tuple(REGISTRY.get_sample_value(name, labels) or 0.0 for name, labels in (
            ("feedsvc_requests_total", {"route": "feed", "format": "json", "status": "304"}),
            ("feedsvc_cache_lookups_total", {"result": "hit"}),
            ("feedsvc_conditional_requests_total", {"answer": "304"})))

    etag = client.get("/feeds/all.json").headers["ETag"]
    before = counted()
    for _ in range(3):
        assert client.get("/feeds/all.json", headers={"If-None-Match": etag}).status_code == 304
    assert repeats.answered == 2  # the first 304 was Flask's
    assert [after - was for after, was in zip(counted(), before, strict=True)] == [3, 3, 3]


@pytest.mark.parametrize("seed", [1, 2])
def test_every_answer_is_what_flask_gives_at_that_moment(app, client, corpus, clock, seed):
    """A random walk of polls (both codings, remembered validators, old ones) and changes (articles
    added, edited, removed; time passing): each answer, repeated or not, is Flask's own at that moment."""
    rng = random.Random(seed)
    flask = Client(_repeats(app).wsgi_app)  # Flask's app itself, past the repeats
    service = app.extensions["feedsvc"]
    paths = ["/feeds/all.rss", "/feeds/all.atom", "/feeds/kinh-te.json", "/feeds/all.rss?limit=3", "/",
             "/categories/kinh-te", "/feeds.opml", "/search.json?q=kon+tum"]
    validators: list[dict[str, str]] = [{}]  # a reader's If-None-Match / If-Modified-Since
    added: list[str] = []
    for step in range(120):
        roll = rng.random()
        if roll < 0.06:
            name = f"95{step:03d}_walk.txt"
            (corpus / name).write_text(NEW_ARTICLE.replace("cà phê", f"cà phê {step}"), encoding="utf-8")
            added.append(name)
            service.reloader.load()
        elif roll < 0.09 and added:
            (corpus / rng.choice(added)).write_text(NEW_ARTICLE.replace("tăng", f"giảm {step}"), encoding="utf-8")
            service.reloader.load()
        elif roll < 0.11 and added:
            (corpus / added.pop(rng.randrange(len(added)))).unlink()
            service.reloader.load()
        elif roll < 0.45:  # the clock: a change's Last-Modified is the second after it
            clock.tick(rng.choice([0.3, 1, 2]))
        path = rng.choice(paths)
        # No validator, or one of the last few seen (current or just outdated), or any older one.
        held = rng.choice([[{}], validators[-6:], validators])
        headers = {**rng.choice([{}, {"Accept-Encoding": "gzip"}]), **rng.choice(held)}
        for _ in range(rng.choice([1, 2, 3])):
            answer = client.get(path, headers=headers)
            _same(flask.get(path, headers=headers), answer)
        if answer.status_code == 200:
            validators.append({"If-None-Match": answer.headers["ETag"]})
            if "Last-Modified" in answer.headers:
                validators.append({"If-Modified-Since": answer.headers["Last-Modified"]})
    assert _repeats(app).answered > 30  # the walk did go through the repeats


def test_behind_a_proxy_each_forwarded_host_gets_its_own_links(corpus, clock):
    # ProxyFix runs before the repeats: the Host and scheme they key on are the forwarded ones.
    app = create_app({"CORPUS_DIR": str(corpus), "INDEX_PATH": "memory", "BACKGROUND_LOAD": False,
                      "RELOAD_INTERVAL": 0, "PROXY_HOPS": 1, "CLOCK": clock})
    clock.tick(2)
    client = app.test_client()
    for host, proto in (("a.example", "https"), ("a.example", "https"), ("b.example", "https"), ("a.example", "http"),
                        ("b.example", "https")):
        raw = client.get("/feeds/all.atom", headers={"X-Forwarded-Host": host, "X-Forwarded-Proto": proto}).data
        assert f'href="{proto}://{host}/feeds/all.atom" rel="self"'.encode() in raw
    assert _repeats(app).answered == 2
