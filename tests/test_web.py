"""The HTTP layer through Flask's test client: routes, validators, caching and hostile requests."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

import feedlint
import feedparser
import pytest

from feedsvc.corpus.listings import ALL

FEEDS = [("rss", "application/rss+xml; charset=utf-8"), ("atom", "application/atom+xml; charset=utf-8"),
         ("json", "application/feed+json")]
LINT = {"rss": feedlint.lint_rss, "atom": feedlint.lint_atom, "json": feedlint.lint_json}


def feed_urls(app):
    repo = app.extensions["feedsvc"].catalog
    slugs = ["all"] + [slug for slug, _, _ in repo.categories()]
    return [(f"/feeds/{slug}.{fmt}", fmt) for slug in slugs for fmt, _ in FEEDS]


def test_every_feed_is_clean_for_readers_and_the_validator_rules(shared_app, shared_client):
    urls = feed_urls(shared_app)
    assert len(urls) >= 3 * 9
    for url, fmt in urls:
        response = shared_client.get(url)
        assert response.status_code == 200, url
        assert LINT[fmt](response.data, "http://localhost" + url) == [], url
        if fmt != "json":
            parsed = feedparser.parse(response.data)
            assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))


def test_site_feed_lists_the_corpus_newest_first_with_tag_ids(shared_client, shared_corpus):
    parsed = feedparser.parse(shared_client.get("/feeds/all.atom").data)
    ids = [entry.id for entry in parsed.entries]
    assert sorted(ids) == sorted(f"tag:kontumtv.vn,2021:article:{p.stem}" for p in shared_corpus.glob("*.txt"))
    dated = [entry.published_parsed for entry in parsed.entries if "published_parsed" in entry]
    assert dated == sorted(dated, reverse=True)
    assert parsed.entries[0].published.endswith("+07:00")


@pytest.mark.parametrize("fmt, media_type", FEEDS)
def test_content_types(shared_client, fmt, media_type):
    assert shared_client.get(f"/feeds/all.{fmt}").headers["Content-Type"] == media_type


def test_ids_do_not_depend_on_the_host_or_the_title(shared_client):
    one = feedparser.parse(shared_client.get("/feeds/all.rss", headers={"Host": "a.example"}).data)
    two = feedparser.parse(shared_client.get("/feeds/all.rss", headers={"Host": "b.example:8080"}).data)
    assert [e.id for e in one.entries] == [e.id for e in two.entries]
    assert all(e.id.startswith("tag:kontumtv.vn,2021:article:") for e in one.entries)


def test_self_link_is_the_url_the_client_fetched(shared_client):
    raw = shared_client.get("/feeds/kinh-te.rss?limit=5", headers={"Host": "feeds.example:8443"}).data
    assert b'<atom:link href="http://feeds.example:8443/feeds/kinh-te.rss?limit=5" rel="self"' in raw


def test_forwarded_headers_are_ignored_unless_a_proxy_is_trusted(shared_client):
    raw = shared_client.get("/feeds/all.atom",
                            headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}).data
    assert b"evil.example" not in raw and b'href="http://localhost/feeds/all.atom" rel="self"' in raw


def test_forwarded_headers_are_honoured_behind_a_trusted_proxy(corpus, tmp_path):
    from feedsvc.web.app import create_app

    app = create_app({"CORPUS_DIR": str(corpus), "INDEX_PATH": "memory", "BACKGROUND_LOAD": False, "PROXY_HOPS": 1})
    raw = app.test_client().get("/feeds/all.atom", headers={"X-Forwarded-Host": "feeds.example.org",
                                                             "X-Forwarded-Proto": "https"}).data
    assert b'href="https://feeds.example.org/feeds/all.atom" rel="self"' in raw


def test_base_url_setting_wins_over_the_request(corpus):
    from feedsvc.web.app import create_app

    app = create_app({"CORPUS_DIR": str(corpus), "INDEX_PATH": "memory", "BACKGROUND_LOAD": False,
                      "BASE_URL": "https://news.example.org"})
    raw = app.test_client().get("/feeds/all.rss", headers={"Host": "other.example"}).data
    assert b'href="https://news.example.org/feeds/all.rss" rel="self"' in raw and b"other.example" not in raw


def test_rendering_twice_gives_the_same_bytes(app, client):
    first = client.get("/feeds/all.atom?limit=7&page=2").data
    app.extensions["feedsvc"].cache.invalidate({ALL})
    assert client.get("/feeds/all.atom?limit=7&page=2").data == first


def test_conditional_get(shared_client):
    first = shared_client.get("/feeds/all.rss")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"') and not etag.startswith('W/')
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"zzz", W/{etag}'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": modified},
        {"If-Modified-Since": format_datetime(parsedate_to_datetime(modified) + timedelta(days=3), usegmt=True)},
    ):
        response = shared_client.get("/feeds/all.rss", headers=headers)
        assert response.status_code == 304, headers
        assert response.data == b""
        assert response.headers["ETag"] == etag
        assert response.headers["Cache-Control"] == ("public, max-age=300, stale-while-revalidate=60,"
                                                     " stale-if-error=86400")
        assert response.headers["Vary"] == "Accept-Encoding"
        # RFC 9110 §15.4.5: no representation metadata on a 304 that has an ETag, and no body length.
        names = [name.lower() for name, _ in response.headers]
        assert {"content-type", "content-length", "content-encoding", "last-modified"}.isdisjoint(names), names
        assert len(names) == len(set(names)), names  # each once
    zipped = shared_client.get("/feeds/all.rss", headers={"Accept-Encoding": "gzip"})
    for full in (first, zipped):
        names = [name.lower() for name, _ in full.headers]
        assert len(names) == len(set(names)), names  # each once
        assert int(full.headers["Content-Length"]) == len(full.data)
        assert full.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    older = format_datetime(parsedate_to_datetime(modified) - timedelta(seconds=1), usegmt=True)
    assert shared_client.get("/feeds/all.rss", headers={"If-Modified-Since": older}).status_code == 200
    # If-None-Match decides when both are sent (RFC 9110 §13.2.2)
    both = {"If-None-Match": '"other"', "If-Modified-Since": modified}
    assert shared_client.get("/feeds/all.rss", headers=both).status_code == 200
    assert shared_client.get("/feeds/all.rss", headers={"If-Modified-Since": "yesterday-ish"}).status_code == 200


def test_last_modified_is_when_the_listing_last_changed_never_the_newest_article(shared_app, shared_client):
    # The newest article is dated 2023-09-27; the listing changed when the index was built.
    catalog = shared_app.extensions["feedsvc"].catalog
    modified = parsedate_to_datetime(shared_client.get("/feeds/all.rss").headers["Last-Modified"])
    assert modified.timestamp() == catalog.modified() and modified.year >= 2026


def test_gzip_is_served_from_the_cache_when_accepted(shared_client):
    plain = shared_client.get("/feeds/all.json")
    zipped = shared_client.get("/feeds/all.json", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    # either tag validates: a client may hold either coding
    assert shared_client.get("/feeds/all.json", headers={"If-None-Match": zipped.headers["ETag"]}).status_code == 304
    refused = shared_client.get("/feeds/all.json", headers={"Accept-Encoding": "gzip;q=0"})
    assert refused.headers.get("Content-Encoding") is None


def test_head_answers_like_get_without_a_body(shared_client):
    get, head = shared_client.get("/feeds/all.rss"), shared_client.head("/feeds/all.rss")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


def test_a_feed_is_generated_once_per_corpus_version(app, client):
    cache = app.extensions["feedsvc"].cache
    client.get("/feeds/all.rss")
    builds = cache.builds
    for _ in range(5):
        client.get("/feeds/all.rss")
        client.get("/feeds/all.rss", headers={"Accept-Encoding": "gzip"})
    assert cache.builds == builds


def test_ttl_matches_max_age(shared_client):
    response = shared_client.get("/feeds/all.rss")
    assert b"<ttl>5</ttl>" in response.data
    assert response.headers["Cache-Control"].startswith("public, max-age=300,")


def test_paging_links_and_limits(shared_client):
    first = feedparser.parse(shared_client.get("/feeds/all.atom?limit=5").data)
    links = {link.rel: link.href for link in first.feed.links}
    assert links["first"] == "http://localhost/feeds/all.atom?limit=5"
    assert links["next"] == "http://localhost/feeds/all.atom?limit=5&page=2"
    assert links["last"] == "http://localhost/feeds/all.atom?limit=5&page=4"
    assert "previous" not in links
    pages = [feedparser.parse(shared_client.get(f"/feeds/all.atom?limit=5&page={n}").data) for n in range(1, 5)]
    ids = [e.id for page in pages for e in page.entries]
    assert len(ids) == len(set(ids)) == 18
    last = {link.rel: link.href for link in pages[-1].feed.links}
    assert "next" not in last and last["previous"].endswith("page=3")
    doc = json.loads(shared_client.get("/feeds/all.json?limit=5").data)
    assert doc["next_url"] == "http://localhost/feeds/all.json?limit=5&page=2" and len(doc["items"]) == 5
    assert "next_url" not in json.loads(shared_client.get("/feeds/all.json").data)


@pytest.mark.parametrize(
    "url, status",
    [
        ("/feeds/all.rss?limit=0", 400), ("/feeds/all.rss?limit=-1", 400), ("/feeds/all.rss?limit=201", 400),
        ("/feeds/all.rss?limit=1000000000", 400), ("/feeds/all.rss?page=abc", 400), ("/feeds/all.rss?page=0", 400),
        ("/feeds/all.rss?limit=5&limit=6", 400), ("/feeds.opml?format=xml", 400),
        ("/feeds/all.rss?page=99", 404), ("/feeds/nope.rss", 404), ("/feeds/all.xml", 404),
        ("/articles/nope", 404), ("/categories/nope", 404), ("/feeds/..%2F..%2Fetc%2Fpasswd.rss", 404),
        ("/articles/..%2F..%2Fetc%2Fpasswd", 404), ("/articles/%2e%2e", 404), ("/articles/a%00b", 404),
        ("/feeds/%2e%2e.rss", 404), ("/" + "a" * 5000, 414),
    ],
)
def test_bad_requests_get_a_one_line_reason(shared_client, url, status):
    response = shared_client.get(url)
    assert response.status_code == status
    assert response.mimetype == "text/plain"
    text = response.data.decode()
    assert text.count("\n") == 1 and text.startswith(f"{status}: ") and "Traceback" not in text


def test_unknown_methods_are_405(shared_client):
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = shared_client.open("/feeds/all.rss", method=method)
        assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_a_poisoned_host_header_is_refused(shared_client):
    response = shared_client.get("/feeds/all.rss", headers={"Host": 'evil"><script>'})
    assert response.status_code == 400 and b"Host" in response.data


def test_security_headers_on_pages_and_errors(shared_client):
    for url in ("/", "/feeds/all.rss", "/nope"):
        headers = shared_client.get(url).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in headers["Content-Security-Policy"]


def test_html_pages_escape_article_text(corpus, client):
    (corpus / "300_xss.txt").write_text(
        " date 2024-02-02 Kinh tế Tiêu đề &lt;script&gt;alert(1)&lt;/script&gt;\n\n"
        "(kontumtv.vn) – Sáng 2/2, có &lt;img src=x onerror=alert(1)&gt; trong bài.\n\nMinh Châu\n",
        encoding="utf-8",
    )
    client.application.extensions["feedsvc"].reloader.load()
    page = client.get("/articles/300_xss").data.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page
    for fmt in ("rss", "atom", "json"):
        assert b"<script>" not in client.get(f"/feeds/kinh-te.{fmt}").data


def test_home_page_lists_categories_latest_and_autodiscovery(shared_client):
    page = shared_client.get("/").data.decode()
    for kind, path in (("application/rss+xml", "/feeds/all.rss"), ("application/atom+xml", "/feeds/all.atom"),
                       ("application/feed+json", "/feeds/all.json")):
        assert f'<link rel="alternate" type="{kind}"' in page and f'href="{path}"' in page
    assert 'href="/categories/thoi-su-chinh-tri">Thời sự - Chính trị</a> (5)' in page
    assert "Kon Tum tiếp tục đẩy mạnh phát triển các vùng kinh tế động lực" in page


def test_category_and_article_pages(shared_client):
    page = shared_client.get("/categories/y-te").data.decode()
    assert 'type="application/atom+xml"' in page and 'href="/feeds/y-te.atom"' in page
    assert "Y tế cơ sở Kon Tum chủ động phòng, chống sốt xuất huyết" in page
    article = shared_client.get("/articles/000_904bb3c4e8a3bd42").data.decode()
    assert '<a href="/authors/thanh-tung">Thanh Tùng</a>, <a href="/authors/thanh-thai">Thanh Thái</a>' in article
    assert "05/10/2021" in article
    assert article.count("<p>") >= 5


def test_opml_lists_every_feed(shared_app, shared_client):
    import xml.etree.ElementTree as ET

    response = shared_client.get("/feeds.opml")
    assert response.headers["Content-Type"].startswith("text/x-opml")
    outlines = ET.fromstring(response.data).find("body").findall("outline")
    urls = {o.get("xmlUrl") for o in outlines}
    # Every section (the no-section listing included), never the site feed: imported together,
    # they deliver each article exactly once.
    assert urls == {"http://localhost" + url for url, fmt in feed_urls(shared_app)
                    if fmt == "rss" and "/all." not in url}
    assert "http://localhost/feeds/chua-phan-loai.rss" in urls
    atom = ET.fromstring(shared_client.get("/feeds.opml?format=atom").data).find("body").findall("outline")
    assert all(o.get("xmlUrl").endswith(".atom") and o.get("type") == "atom" for o in atom)


def test_healthz(app, client, corpus):
    (corpus / "zero.txt").write_bytes(b"")
    app.extensions["feedsvc"].reloader.load()
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["articles"] == 18 and body["categories"]["thoi-su-chinh-tri"] == 5
    assert body["skipped"] == [{"file": "zero.txt", "reason": "empty file: no text at all"}]
    assert body["corpus_version"] == app.extensions["feedsvc"].catalog.version() and body["search"] == "ready"


def test_unready_service_answers_503_with_retry_after(app, client):
    app.extensions["feedsvc"].catalog.ready.clear()
    for url in ("/feeds/all.rss", "/", "/healthz"):
        response = client.get(url)
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"


def test_search_answers_503_until_it_has_caught_up_with_a_first_load(app, client, corpus):
    # A first load into an empty index writes under filling() and leaves search to catch up (see
    # corpus.search): an edit made that way puts the app in that state.
    service = app.extensions["feedsvc"]
    store = service.catalog.store
    (corpus / "400_moi.txt").write_text(
        " date 2024-03-03 Kinh tế Bài mới về cà phê\n\n(kontumtv.vn) – Sáng 3/3, tin mới.\n\nMinh Châu\n",
        encoding="utf-8")
    with store.filling():
        service.reloader.load()
    for url in ("/search.rss?q=ca+phe", "/search.json?q=ca+phe", "/search?q=ca+phe"):
        response = client.get(url)
        assert response.status_code == 503 and response.headers["Retry-After"] == "5", url
        assert response.data.decode().count("\n") == 1 and b"search is not ready yet" in response.data
    # The feeds are served meanwhile, the new article in them, and the health check says which part waits.
    assert b"400_moi" in client.get("/feeds/all.rss").data
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["search"] == "loading"
    while not store.catch_up_search(1):
        pass
    found = client.get("/search.json?q=ca+phe+bai+moi")
    assert found.status_code == 200 and found.get_json()["items"][0]["id"].endswith("400_moi")
    assert client.get("/healthz").get_json()["search"] == "ready"


def test_changes_show_up_and_invalidate_only_what_they_touch(app, client, corpus):
    service = app.extensions["feedsvc"]
    y_te = client.get("/feeds/y-te.rss").headers["ETag"]
    everything = client.get("/feeds/all.rss").headers["ETag"]
    (corpus / "400_moi.txt").write_text(
        " date 2024-03-03 Kinh tế Bài mới\n\n(kontumtv.vn) – Sáng 3/3, tin mới.\n\nMinh Châu\n", encoding="utf-8")
    service.reloader.load()
    assert client.get("/feeds/y-te.rss").headers["ETag"] == y_te
    builds = service.cache.builds
    client.get("/feeds/y-te.rss")
    assert service.cache.builds == builds  # untouched listing: still cached
    fresh = client.get("/feeds/all.rss")
    assert fresh.headers["ETag"] != everything and b"400_moi" in fresh.data


@pytest.mark.e2e  # every feed of all 88 sample articles, three pages each: exhaustive
def test_every_feed_of_every_sample_set_passes_the_validator_rules(tmp_path):
    # All 88 sample articles at once (seeds, dev, unseen, blind, blind2), paged small so
    # the RFC 5005 links of first, middle and last pages are checked too.
    import shutil

    from conftest import DATA

    from feedsvc.web.app import create_app

    corpus = tmp_path / "all"
    corpus.mkdir()
    for folder in ("dev", "unseen", "blind", "blind2"):
        for path in (DATA / folder).glob("*.txt"):
            shutil.copy(path, corpus / path.name)
    for path in (DATA.parent.parent / "seeds").glob("*.txt"):
        shutil.copy(path, corpus / path.name)
    app = create_app({"CORPUS_DIR": str(corpus), "INDEX_PATH": "memory", "BACKGROUND_LOAD": False,
                      "DEFAULT_LIMIT": 10})
    client = app.test_client()
    checked = 0
    for url, fmt in feed_urls(app):
        for page in (1, 2, 3):
            response = client.get(f"{url}?page={page}")
            if response.status_code == 404:
                break
            fetched = f"http://localhost{url}?page={page}"
            assert LINT[fmt](response.data, fetched) == [], fetched
            checked += 1
    assert checked >= 40  # every listing, up to three pages each
