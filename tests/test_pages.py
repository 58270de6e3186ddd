"""The reader's side through Flask's test client: every route of issue 11 as specified, the pages'
navigation, autodiscovery, Vietnamese dates, the /feeds page and the error pages.

Expectations come from the corpus as the service parsed it (the catalog) or from the sample files'
own headers, never from the templates; the feeds are read with feedparser and the feed linter.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import feedlint
import feedparser
import pytest
from lxml import html as lxml_html

from feedsvc.corpus.listings import NO_SECTION, NO_SECTION_NAME, author_key

FORMATS = {"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}
LINT = {"rss": feedlint.lint_rss, "atom": feedlint.lint_atom, "json": feedlint.lint_json}
LABELS = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
NAV = ["Trang chủ", "Chuyên mục", "Tất cả bài", "Tìm kiếm", "Theo dõi"]
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"}
READERS = [{"Accept": "*/*"}, {"Accept": "application/rss+xml, application/atom+xml;q=0.9, */*;q=0.1"}, {}]
DAY_ARTICLE = "000_904bb3c4e8a3bd42"  # seeds: " date 2021-10-05", a Tuesday
MONTH_ARTICLE = "106_c26babd06452826a"  # dev: the source gives December 2020 only
UNDATED_ARTICLE = "110_384acc3438401c74"  # dev: no date at all, no section, credited to TTXVN


def catalog(app):
    return app.extensions["feedsvc"].catalog


def page(client, path, headers=None):
    response = client.get(path, headers=headers or {})
    assert response.status_code == 200, (path, response.data[:200])
    assert response.headers["Content-Type"] == "text/html; charset=utf-8", path
    return lxml_html.document_fromstring(response.data.decode("utf-8"))


def text(element) -> str:
    return " ".join(element.text_content().split())


def alternates(doc) -> list[tuple[str, str, str]]:
    return [(link.get("type"), link.get("title"), link.get("href"))
            for link in doc.xpath('//head/link[@rel="alternate"]')]


def check_feed(client, url: str, fmt: str) -> list[str]:
    """Fetch a feed: 200, its media type, clean for feedparser and the validator's rules; its entry ids."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.data[:200])
    assert response.mimetype == FORMATS[fmt], url
    assert LINT[fmt](response.data, "http://localhost" + url) == [], url
    if fmt == "json":
        return [item["id"] for item in json.loads(response.data)["items"]]
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
    return [entry.id for entry in parsed.entries]


def entry_id(article_id: str) -> str:
    return f"tag:kontumtv.vn,2021:article:{article_id}"


def some_pages(app):
    articles = catalog(app).all_articles()
    author = author_key(articles[0].authors[0]).split(":", 1)[1]
    return ["/", "/articles", "/categories/kinh-te", f"/categories/{NO_SECTION}", f"/articles/{DAY_ARTICLE}",
            f"/articles/{UNDATED_ARTICLE}", f"/authors/{author}", "/search?q=kinh+te", "/search?q=khong+co+dau+vet",
            "/feeds"]


# -- the look: every page -------------------------------------------------------------------------

def test_every_page_has_the_header_navigation_search_and_a_link_to_the_feeds_page(shared_app, shared_client):
    pages = [(path, {}) for path in some_pages(shared_app)] + [("/khong-co-trang-nay", BROWSER),
                                                         ("/search?q=", BROWSER)]
    for path, headers in pages:
        response = shared_client.get(path, headers=headers)
        doc = lxml_html.document_fromstring(response.data.decode("utf-8"))
        assert doc.get("lang") == "vi", path
        nav = doc.xpath('//header//nav[@aria-label]')
        assert len(nav) == 1, path
        links = nav[0].xpath(".//a")
        assert [text(a) for a in links] == NAV, path
        hrefs = {text(a): a.get("href") for a in links}
        assert hrefs["Trang chủ"] == "/" and hrefs["Tất cả bài"] == "/articles" and hrefs["Theo dõi"] == "/feeds"
        assert hrefs["Chuyên mục"] == "/#chuyen-muc"
        # Tìm kiếm leads to the search form in the header, which searches with GET /search?q=
        target = doc.get_element_by_id(hrefs["Tìm kiếm"].lstrip("#"))
        assert target.tag == "form" and target.get("action") == "/search" and target.get("method") == "get"
        assert target.xpath('.//input[@name="q"][@maxlength="200"]') and target.xpath(".//button")
        assert doc.xpath('//header//a[@href="/"]')[0].text_content() == "Đài Phát thanh - Truyền hình Kon Tum"
        assert doc.xpath('//link[@rel="stylesheet"]/@href') == ["/static/site.css"], path
        assert doc.xpath('//link[@rel="icon"]/@href')[0] == "/favicon.ico"


def test_pages_need_nothing_the_content_security_policy_forbids(shared_app, shared_client):
    # default-src 'none'; style-src 'self'; img-src 'self': no script, no inline style, nothing from
    # elsewhere; and no <img> at all (tests/test_hostile_files.py counts one as a hostile file's doing).
    for path in some_pages(shared_app) + ["/static/site.css"]:
        with shared_client.get(path) as response:  # closed: a static file is served from an open file
            response.get_data()
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "style-src 'self'" in csp and "img-src 'self'" in csp
        if path.endswith(".css"):
            for url in re.findall(r"url\(([^)]*)\)", response.data.decode()):
                target = "/static/" + url.strip("\"' ")
                with shared_client.get(target) as image:  # the stylesheet's images are the site's own
                    assert image.status_code == 200, target
            continue
        doc = lxml_html.document_fromstring(response.data.decode("utf-8"))
        assert not doc.xpath("//script | //style | //img | //iframe | //*[@style]"), path
        assert not [a for element in doc.iter() if isinstance(element.tag, str)
                    for a in element.attrib if a.startswith("on")], path
        for url in doc.xpath("//@href | //@src | //@action"):
            assert url.startswith(("/", "?", "#")), (path, url)


def test_the_home_page_lists_every_section_where_the_navigation_points(shared_app, shared_client):
    sections = page(shared_client, "/").get_element_by_id("chuyen-muc").getparent()
    links = [(a.get("href"), text(a)) for a in sections.xpath(".//li/a[not(@class)]")]
    assert links == [(f"/categories/{slug}", name) for slug, name, _ in catalog(shared_app).categories()]
    assert links[-1] == (f"/categories/{NO_SECTION}", NO_SECTION_NAME)


def test_feed_links_carry_the_feed_icon_and_their_format(shared_client):
    with shared_client.get("/static/site.css") as stylesheet:
        css = stylesheet.data.decode()
    assert re.search(r"\.feed::before\s*\{[^}]*url\(\"icon-64\.png\"\)", css)
    doc = page(shared_client, "/categories/kinh-te")
    links = doc.xpath('//a[contains(concat(" ", @class, " "), " feed ")]')
    by_href = {a.get("href"): a for a in links}
    for fmt, media_type in FORMATS.items():
        link = by_href[f"/feeds/kinh-te.{fmt}"]
        assert link.get("type") == media_type
        assert text(link).startswith(LABELS[fmt]) and "Kinh tế" in text(link)  # named for screen readers too


# -- autodiscovery --------------------------------------------------------------------------------

@pytest.mark.parametrize("path, name, feed", [
    ("/", "Đài Phát thanh - Truyền hình Kon Tum", "/feeds/all"),
    ("/categories/kinh-te", "Kinh tế", "/feeds/kinh-te"),
    (f"/categories/{NO_SECTION}", NO_SECTION_NAME, f"/feeds/{NO_SECTION}"),
    ("/authors/thanh-tung", "Bài viết của Thanh Tùng", "/feeds/authors/thanh-tung"),
    (f"/articles/{DAY_ARTICLE}", "Chuyên mục Thời sự - Chính trị", "/feeds/thoi-su-chinh-tri"),
    (f"/articles/{UNDATED_ARTICLE}", f"Chuyên mục {NO_SECTION_NAME}", f"/feeds/{NO_SECTION}"),
    ("/search?q=kinh+te", "Tìm kiếm “kinh te”", "/search"),
], ids=["home", "section", "no-section", "author", "article", "article-without-section", "search"])
def test_autodiscovery_titles_name_the_feed_and_its_format(shared_client, path, name, feed):
    found = alternates(page(shared_client, path))
    expected_href = {fmt: f"{feed}.{fmt}?q=kinh+te" if feed == "/search" else f"{feed}.{fmt}" for fmt in FORMATS}
    assert found == [(FORMATS[fmt], f"{name} – {LABELS[fmt]}", expected_href[fmt]) for fmt in FORMATS]
    for media_type, _, href in found:
        response = shared_client.get(href)
        assert response.status_code == 200 and response.mimetype == media_type, href
    # The feed a link names is the feed it points at: its own title carries the same name.
    feed_title = feedparser.parse(shared_client.get(found[0][2]).data).feed.title
    assert name.removeprefix("Chuyên mục ") in feed_title


# -- dates ----------------------------------------------------------------------------------------

def test_dates_are_written_the_vietnamese_way():
    from feedsvc.web.pages import iso_date, vndate

    ict = timezone(timedelta(hours=7))
    assert vndate(datetime(2021, 10, 5, tzinfo=ict), "day") == "05/10/2021"
    assert vndate(datetime(2021, 10, 5, tzinfo=ict), "day", True) == "Thứ Ba, 05/10/2021"
    assert vndate(datetime(2021, 10, 10, tzinfo=ict), "day", True) == "Chủ Nhật, 10/10/2021"
    assert vndate(datetime(2021, 10, 5, 15, 30, tzinfo=ict), "day") == "05/10/2021 15:30"
    # a moment given in UTC is shown in Vietnam's time: 20:30Z on the 4th is 03:30 on Tuesday the 5th
    assert vndate(datetime(2021, 10, 4, 20, 30, tzinfo=UTC), "day", True) == "Thứ Ba, 05/10/2021 03:30"
    assert vndate(datetime(2021, 10, 1, tzinfo=ict), "month") == "tháng 10/2021"
    assert vndate(datetime(2021, 10, 1, tzinfo=ict), "month", True) == "tháng 10/2021"
    assert vndate(datetime(2026, 12, 2, 0, 0, tzinfo=ict), "seen") == "02/12/2026 00:00"
    assert vndate(None, None) == ""
    assert iso_date(datetime(2021, 10, 5, tzinfo=ict), "day") == "2021-10-05"
    assert iso_date(datetime(2021, 10, 1, tzinfo=ict), "month") == "2021-10"
    assert iso_date(datetime(2021, 10, 4, 20, 30, tzinfo=UTC), "day") == "2021-10-05T03:30+07:00"


def test_article_and_listing_dates_say_how_precise_they_are(shared_app, shared_client):
    day = page(shared_client, f"/articles/{DAY_ARTICLE}").xpath("//article//time")[0]
    assert (day.get("datetime"), day.text) == ("2021-10-05", "Thứ Ba, 05/10/2021")
    month = page(shared_client, f"/articles/{MONTH_ARTICLE}").xpath("//article//time")[0]
    assert (month.get("datetime"), month.text) == ("2020-12", "tháng 12/2020")
    # No date in the source: dated when the service first published it, and the page says so plainly.
    seen_article = catalog(shared_app).get(UNDATED_ARTICLE)
    assert seen_article.date_precision == "seen"
    undated = page(shared_client, f"/articles/{UNDATED_ARTICLE}")
    moment = seen_article.published.astimezone(timezone(timedelta(hours=7)))
    stamp = undated.xpath("//article//time")[0]
    assert stamp.get("datetime") == moment.isoformat(timespec="minutes")
    assert stamp.text.endswith(moment.strftime("%d/%m/%Y %H:%M"))
    assert "Bài gốc không ghi ngày" in text(undated.xpath('//article//p[@class="meta"]')[0])
    listing = page(shared_client, f"/categories/{NO_SECTION}")
    item = [li for li in listing.xpath('//ul[@class="news"]/li') if UNDATED_ARTICLE in li.xpath(".//h2/a/@href")[0]]
    assert "bài gốc không ghi ngày" in text(item[0])
    dated = [li for li in page(shared_client, "/").xpath('//ul[@class="news"]/li')
             if DAY_ARTICLE in li.xpath(".//a/@href")[1]]
    assert "bài gốc không ghi ngày" not in text(dated[0]) and "05/10/2021" in text(dated[0])


# -- the article page -----------------------------------------------------------------------------

def test_an_article_links_its_section_and_authors(shared_app, shared_client):
    article = catalog(shared_app).get(DAY_ARTICLE)
    doc = page(shared_client, f"/articles/{DAY_ARTICLE}")
    assert text(doc.xpath("//h1")[0]) == article.title
    assert [text(a) for a in doc.xpath('//nav[@class="crumbs"]//a')] == ["Trang chủ", article.category]
    assert doc.xpath('//nav[@class="crumbs"]//a/@href')[1] == f"/categories/{article.category_slug}"
    byline = doc.xpath('//p[@class="byline"]/a')
    assert [(a.text, a.get("href")) for a in byline] == [(name, "/authors/" + author_key(name).split(":", 1)[1])
                                                          for name in article.authors]
    for href in doc.xpath('//p[@class="byline"]/a/@href'):
        assert shared_client.get(href).status_code == 200
    assert [" ".join(p.text_content().split()) for p in doc.xpath('//div[@class="body"]/p')] == [
        " ".join(paragraph.split()) for paragraph in article.body]
    credited = page(shared_client, f"/articles/{UNDATED_ARTICLE}")
    assert text(credited.xpath('//p[@class="source"]')[0]) == "Theo TTXVN"


# -- /feeds ---------------------------------------------------------------------------------------

def test_the_feeds_page_shows_every_feed_address_to_copy(shared_app, shared_client):
    listings = ["all"] + [slug for slug, _, _ in catalog(shared_app).categories()]
    assert NO_SECTION in listings
    for host in ("localhost", "tin.example.org:8443"):
        doc = page(shared_client, "/feeds", {"Host": host})
        shown = [code.text for code in doc.xpath('//code[contains(@class, "url")]')]
        base = f"http://{host}"
        for slug in listings:
            for fmt in FORMATS:
                assert f"{base}/feeds/{slug}.{fmt}" in shown, (host, slug, fmt)
        for slug, _, _ in catalog(shared_app).authors():
            assert f"{base}/feeds/authors/{slug}.rss" in shown
        # every address shown answers with a feed, and each is also a link of its own type
        for url in shown:
            if "/feeds/" in url and "?" not in url:
                path = url.removeprefix(base)
                assert shared_client.get(path, headers={"Host": host}).status_code == 200, url
        for fmt, media_type in FORMATS.items():
            assert doc.xpath(f'//a[@href="/feeds/{NO_SECTION}.{fmt}"][@type="{media_type}"]')
    doc = page(shared_client, "/feeds")
    intro = text(doc.xpath("//main")[0])
    assert "ứng dụng đọc tin" in intro and "chép địa chỉ" in intro and "Thêm nguồn tin" in intro
    assert doc.xpath('//main//a[@href="/feeds.opml"]')
    assert text(doc.xpath("//h3/a")[0]) == "Tất cả bài của trang"
    assert [text(h) for h in doc.xpath("//h3/a")][1:] == [name for _, name, _ in catalog(shared_app).categories()]


# -- the routes of issue 11 -----------------------------------------------------------------------

def author_articles(app, name):
    return sorted((a for a in catalog(app).all_articles() if name in a.authors),
                  key=lambda a: (-a.published.timestamp(), a.id))


def test_author_pages_list_their_articles_newest_first_and_page(corpus, tmp_path, clock):
    from feedsvc.web.app import create_app

    app = create_app({"CORPUS_DIR": str(corpus), "INDEX_PATH": "memory", "BACKGROUND_LOAD": False,
                      "DEFAULT_LIMIT": 1, "CLOCK": clock})
    client = app.test_client()
    expected = author_articles(app, "Thanh Tùng")
    assert len(expected) == 2
    for number, article in enumerate(expected, 1):
        doc = page(client, f"/authors/thanh-tung?page={number}")
        assert text(doc.xpath("//h1")[0]) == "Bài viết của Thanh Tùng"
        assert doc.xpath('//ul[@class="news"]//h2/a/@href') == [f"/articles/{article.id}"]
        pager = {a.get("rel"): a.get("href") for a in doc.xpath('//nav[@class="pager"]/a')}
        assert pager == ({"next": "?page=2"} if number == 1 else {"prev": "?page=1"})
    assert client.get("/authors/thanh-tung?page=3").status_code == 404
    assert client.get("/authors/khong-co-ai").status_code == 404


@pytest.mark.e2e  # every author's feed in every format, parsed and linted: a sweep
def test_author_feeds_are_clean_and_hold_exactly_the_authors_articles(shared_app, shared_client):
    for slug, name, count in catalog(shared_app).authors():
        expected = [entry_id(a.id) for a in author_articles(shared_app, name)]
        assert len(expected) == count
        for fmt in FORMATS:
            assert check_feed(shared_client, f"/feeds/authors/{slug}.{fmt}", fmt) == expected, (slug, fmt)
    assert shared_client.get("/feeds/authors/khong-co-ai.rss").status_code == 404


def test_author_feeds_page_and_answer_conditional_gets(shared_app, shared_client):
    two = [entry_id(a.id) for a in author_articles(shared_app, "Thanh Tùng")]
    for fmt in FORMATS:
        url = f"/feeds/authors/thanh-tung.{fmt}"
        assert check_feed(shared_client, f"{url}?limit=1", fmt) == two[:1]
        assert check_feed(shared_client, f"{url}?limit=1&page=2", fmt) == two[1:]
        assert shared_client.get(f"{url}?limit=1&page=3").status_code == 404
        first = shared_client.get(url)
        assert first.headers["Cache-Control"].startswith("public, max-age=")
        validators = ({"If-None-Match": first.headers["ETag"]}, {"If-Modified-Since": first.headers["Last-Modified"]})
        for validator in validators:
            again = shared_client.get(url, headers=validator)
            assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == first.headers["ETag"]


def test_search_page_and_search_feeds_give_the_same_results_newest_first(shared_app, shared_client):
    html_ids = page(shared_client, "/search?q=kinh+te").xpath('//ul[@class="news"]//h2/a/@href')
    assert len(html_ids) >= 3
    for fmt in FORMATS:
        ids = check_feed(shared_client, f"/search.{fmt}?q=kinh+te", fmt)
        assert ids == [entry_id(href.removeprefix("/articles/")) for href in html_ids], fmt
    dates = [catalog(shared_app).get(href.removeprefix("/articles/")).published for href in html_ids]
    assert dates == sorted(dates, reverse=True)
    first = shared_client.get("/search.atom?q=kinh+te")
    assert shared_client.get("/search.atom?q=kinh+te",
                             headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    nothing = page(shared_client, "/search?q=khong+co+dau+vet")
    assert not nothing.xpath('//ul[@class="news"]/li') and "Không có bài nào" in text(nothing.xpath("//main")[0])
    assert feedparser.parse(shared_client.get("/search.rss?q=khong+co+dau+vet").data).entries == []


def test_favicon_is_an_icon_cached_for_a_long_time(shared_client):
    response = shared_client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header: reserved 0, type 1 (icon)
    count = int.from_bytes(response.data[4:6], "little")
    assert count >= 1
    cache = dict(part.strip().partition("=")[::2] for part in response.headers["Cache-Control"].split(","))
    assert "public" in cache and int(cache["max-age"]) >= 7 * 86400
    again = shared_client.get("/favicon.ico", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_vietnamese_news_paths_redirect_to_the_feeds(shared_app, shared_client):
    sections = [slug for slug, _, _ in catalog(shared_app).categories()]
    for name, target in [("home", "all")] + [(slug, slug) for slug in sections]:
        response = shared_client.get(f"/rss/{name}.rss")
        assert response.status_code == 301, name
        assert response.headers["Location"] == f"http://localhost/feeds/{target}.rss"
        followed = shared_client.get(response.headers["Location"].removeprefix("http://localhost"))
        assert followed.status_code == 200 and followed.mimetype == "application/rss+xml"
    assert shared_client.get("/rss/khong-co.rss").status_code == 404


@pytest.mark.parametrize("query", ["/search?q=", "/search?q=%20%20", "/search", "/search.rss?q=",
                                   "/search.json?q=" + "a" * 201, "/search?q=" + "kinh+te+" * 30],
                         ids=["empty", "spaces", "absent", "empty-feed", "201-feed", "240"])
def test_bad_search_queries_are_400_one_line_for_readers_and_a_vietnamese_page_for_browsers(shared_client, query):
    for headers in READERS:
        response = shared_client.get(query, headers=headers)
        assert response.status_code == 400 and response.mimetype == "text/plain", headers
        body = response.data.decode()
        assert body.startswith("400: ") and body.count("\n") == 1 and body.endswith("\n")
    response = shared_client.get(query, headers=BROWSER)
    assert response.status_code == 400 and response.headers["Content-Type"] == "text/html; charset=utf-8"
    doc = lxml_html.document_fromstring(response.data.decode("utf-8"))
    assert doc.get("lang") == "vi" and text(doc.xpath("//h1")[0]) == "Yêu cầu không hợp lệ"
    assert "Traceback" not in response.data.decode()


def test_a_query_of_200_characters_is_searched(shared_client):
    query = ("kinh te " * 30)[:200]
    assert len(query) == 200
    assert shared_client.get(f"/search.json?q={query}").status_code == 200
    assert shared_client.get(f"/search?q={query} x").status_code == 400


def test_not_found_is_a_vietnamese_page_for_a_browser_and_one_line_for_the_rest(shared_client):
    for path in ("/khong-co-trang-nay", "/articles/khong-co", "/categories/khong-co", "/authors/khong-co",
                 "/articles?page=99"):
        response = shared_client.get(path, headers=BROWSER)
        assert response.status_code == 404 and response.mimetype == "text/html", path
        doc = lxml_html.document_fromstring(response.data.decode("utf-8"))
        assert text(doc.xpath("//h1")[0]) == "Không tìm thấy trang"
        assert doc.xpath('//main//form[@action="/search"]') and doc.xpath('//main//a[@href="/"]')
        # the service's own reason is kept, out of the way, for whoever reports the problem
        assert doc.xpath("//details/summary")[0].text == "Chi tiết kỹ thuật"
        plain = shared_client.get(path)
        assert plain.status_code == 404 and plain.mimetype == "text/plain"
