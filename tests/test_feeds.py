"""feedsvc.feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 as readers parse them."""

import ast
import calendar
import html
import json
import sys
import unicodedata
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsvc.articles.model import Article
from feedsvc.publishing.formats import FORMATS
from feedsvc.publishing.formats.page import FeedPage, content_html, rfc822

RENDERERS = {name: form.render for name, form in FORMATS.items()}
MEDIA_TYPES = {name: form.media_type for name, form in FORMATS.items()}

ICT = timezone(timedelta(hours=7))
SELF_URL = "https://feeds.example.vn:8443/feeds/all.xml?page=2"
HOME_URL = "https://kontumtv.vn/"
VI_TITLE = "Phấn đấu hoàn thành cao nhất các mục tiêu phát triển kinh tế – xã hội năm 2021"
SCRIPT_TITLE = "Cảnh báo “lừa đảo” \"qua mạng\" & <script>alert('x')</script> ở Kon Tum"
LONG_TITLE = ("Tỉnh Kon Tum triển khai đồng bộ các giải pháp phục hồi kinh tế – xã hội " * 6)[:400]

ARTICLES = (
    Article(
        id="000_904bb3c4e8a3bd42", title=VI_TITLE, category="Thời sự - Chính trị",
        category_slug="thoi-su-chinh-tri", authors=("Thanh Tùng", "Thanh Thái"),
        body=("Phiên họp trực tuyến UBND tỉnh với các địa phương.", "Chủ tịch UBND tỉnh chủ trì."),
        summary="Phiên họp trực tuyến UBND tỉnh với các địa phương.",
        published=datetime(2021, 10, 5, 9, 30, tzinfo=ICT), date_precision="day",
    ),
    Article(
        id="004_7ba9e57d7ac741dc", title=SCRIPT_TITLE, category="Xã hội", category_slug="xa-hoi",
        authors=("Minh Hà",), body=("Đừng bấm <script>alert(1)</script> & <b>liên kết</b> lạ.",),
        summary="Đừng bấm <script>alert(1)</script> & liên kết lạ.",
        published=datetime(2021, 10, 4, 15, 0, tzinfo=ICT), date_precision="day",
    ),
    Article(
        id="007_0f3c", title=LONG_TITLE, category="Kinh tế", category_slug="kinh-te",
        authors=("Hồng Nhung",), body=("Nội dung dài.",), summary="Nội dung dài.",
        published=datetime(2021, 10, 1, tzinfo=ICT), date_precision="month",
    ),
    Article(
        id="009_undated", title="Bài không tác giả, không ngày", category=None, category_slug=None,
        authors=(), body=(), summary="", published=None, date_precision=None,
    ),
)
NEWEST = ARTICLES[0].published


def entry_id(article_id):
    return f"tag:kontumtv.vn,2021:article:{article_id}"


def article_url(article_id):
    return f"https://kontumtv.vn/bai-viet/{article_id}"


def make_page(articles=ARTICLES, **overrides):
    fields = dict(
        feed_id="tag:kontumtv.vn,2021:feed:all", title="Kon Tum TV – Tin mới",
        description="Tin tức mới nhất", home_url=HOME_URL, self_url=SELF_URL,
        articles=tuple(articles), article_url=article_url, entry_id=entry_id,
    )
    fields.update(overrides)
    return FeedPage(**fields)


PAGING = dict(
    first_url="https://feeds.example.vn:8443/feeds/all.xml",
    previous_url="https://feeds.example.vn:8443/feeds/all.xml?page=1",
    next_url="https://feeds.example.vn:8443/feeds/all.xml?page=3",
    last_url="https://feeds.example.vn:8443/feeds/all.xml?page=9",
)


def parse(fmt, page=None):
    """(raw bytes, parsed): feedparser for the XML formats, json.loads for JSON Feed."""
    raw = RENDERERS[fmt](page or make_page())
    if fmt == "json":
        return raw, json.loads(raw.decode("utf-8"))
    return raw, feedparser.parse(raw)


def entries(fmt, doc):
    return doc["items"] if fmt == "json" else doc.entries


def titles(fmt, doc):
    """Titles as text: Atom titles are type="html", so unescape them."""
    if fmt == "json":
        return [item["title"] for item in doc["items"]]
    if fmt == "atom":
        return [html.unescape(e.title) for e in doc.entries]
    return [e.title for e in doc.entries]


# --- every format ------------------------------------------------------------------------

def test_renderers_and_media_types_cover_the_same_formats():
    assert set(RENDERERS) == set(MEDIA_TYPES) == {"rss", "atom", "json"}
    assert MEDIA_TYPES["json"] == "application/feed+json"


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_xml_feeds_parse_cleanly(fmt):
    raw, doc = parse(fmt)
    assert doc.bozo == 0, doc.get("bozo_exception")
    assert raw.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert doc.version == {"rss": "rss20", "atom": "atom10"}[fmt]


def test_json_feed_has_the_required_top_level_fields():
    _, doc = parse("json")
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["title"] == "Kon Tum TV – Tin mới"
    assert doc["home_page_url"] == HOME_URL
    assert doc["feed_url"] == SELF_URL
    assert doc["language"] == "vi"
    assert all(isinstance(item["id"], str) and "content_html" in item for item in doc["items"])


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_entries_keep_the_callers_order_and_ids(fmt):
    _, doc = parse(fmt)
    ids = [e["id"] for e in entries(fmt, doc)] if fmt == "json" else [e.id for e in doc.entries]
    assert ids == [entry_id(a.id) for a in ARTICLES]


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_entry_links_are_the_permalinks(fmt):
    _, doc = parse(fmt)
    links = [e["url"] for e in doc["items"]] if fmt == "json" else [e.link for e in doc.entries]
    assert links == [article_url(a.id) for a in ARTICLES]


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_titles_round_trip_exactly(fmt):
    _, doc = parse(fmt)
    got = titles(fmt, doc)
    assert got == [a.title for a in ARTICLES]
    assert got[0] == VI_TITLE and unicodedata.is_normalized("NFC", got[0])
    assert len(got[2]) == 400


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_script_tags_are_never_raw(fmt):
    raw, _ = parse(fmt)
    assert b"<script" not in raw.lower()
    assert b"</script" not in raw.lower()


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_same_input_gives_identical_bytes(fmt):
    first = RENDERERS[fmt](make_page(**PAGING))
    second = RENDERERS[fmt](make_page(**PAGING))
    assert first == second


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_dates_carry_the_vietnam_offset(fmt):
    raw, doc = parse(fmt)
    expected = {"rss": b"<pubDate>Tue, 05 Oct 2021 09:30:00 +0700</pubDate>",
                "atom": b"<published>2021-10-05T09:30:00+07:00</published>",
                "json": b'"date_published":"2021-10-05T09:30:00+07:00"'}[fmt]
    assert expected in raw
    if fmt != "json":
        # 09:30 in Hà Nội is 02:30 UTC: the offset was read, not dropped.
        assert calendar.timegm(doc.entries[0].published_parsed) == NEWEST.timestamp()
        assert doc.entries[1].published_parsed[:5] == (2021, 10, 4, 8, 0)


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_undated_article_has_no_published_date(fmt):
    raw, doc = parse(fmt)
    last = entries(fmt, doc)[-1]
    if fmt == "json":
        assert "date_published" not in last
    else:
        assert "published" not in last
    if fmt == "rss":
        assert raw.count(b"<pubDate>") == 3


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_categories_are_mapped(fmt):
    raw, doc = parse(fmt)
    if fmt == "json":
        assert [item.get("tags") for item in doc["items"]] == [
            ["Thời sự - Chính trị"], ["Xã hội"], ["Kinh tế"], None]
    elif fmt == "atom":
        first = doc.entries[0].tags[0]
        assert (first.term, first.label) == ("thoi-su-chinh-tri", "Thời sự - Chính trị")
        assert "tags" not in doc.entries[-1]
    else:
        assert "<category>Thời sự - Chính trị</category>".encode() in raw
        assert [e.tags[0].term for e in doc.entries[:3]] == ["Thời sự - Chính trị", "Xã hội", "Kinh tế"]


# --- feed-level dates ------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, expected", [
    ("rss", b"<lastBuildDate>Tue, 05 Oct 2021 09:30:00 +0700</lastBuildDate>"),
    ("atom", b"<updated>2021-10-05T09:30:00+07:00</updated>"),
])
def test_feed_updated_is_the_newest_article_not_now(fmt, expected):
    raw, doc = parse(fmt, make_page(articles=ARTICLES[::-1]))  # max, not position
    assert expected in raw
    assert calendar.timegm(doc.feed.updated_parsed) == NEWEST.timestamp()


@pytest.mark.parametrize("fmt, expected", [
    ("rss", b"<lastBuildDate>Sun, 07 Mar 2021 10:11:12 +0700</lastBuildDate>"),
    ("atom", b"<updated>2021-03-07T10:11:12+07:00</updated>"),
])
def test_a_feed_without_a_dated_article_is_updated_when_its_listing_changed(fmt, expected):
    # No invented stand-in: the publisher gives the time the listing last changed.
    changed = datetime(2021, 3, 7, 10, 11, 12, tzinfo=ICT)
    raw, _ = parse(fmt, make_page(articles=ARTICLES[3:], updated=changed))
    assert expected in raw
    with pytest.raises(ValueError, match="updated"):
        parse(fmt, make_page(articles=ARTICLES[3:]))


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_a_given_updated_never_overrides_the_newest_article(fmt):
    _, doc = parse(fmt, make_page(updated=datetime(2022, 1, 1, 8, tzinfo=ICT)))
    assert calendar.timegm(doc.feed.updated_parsed) == NEWEST.timestamp()


def test_empty_page_still_renders_every_format():
    page = make_page(articles=(), updated=datetime(2021, 3, 7, tzinfo=ICT))
    for fmt in ("rss", "atom"):
        _, doc = parse(fmt, page)
        assert doc.bozo == 0 and doc.entries == []
    assert json.loads(RENDERERS["json"](page))["items"] == []


# --- links -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, media_type", [("rss", "application/rss+xml"), ("atom", "application/atom+xml")])
def test_self_link_is_exactly_the_fetched_url(fmt, media_type):
    raw, doc = parse(fmt)
    selfs = [link for link in doc.feed.links if link.rel == "self"]
    assert [(s.href, s.type) for s in selfs] == [(SELF_URL, media_type)]
    alternates = [link.href for link in doc.feed.links if link.rel == "alternate"]
    assert alternates == [HOME_URL]
    assert doc.feed.link == HOME_URL
    if fmt == "rss":
        assert f"<link>{HOME_URL}</link>".encode() in raw  # <channel><link> is the HTML page


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_paging_links_appear_when_given(fmt):
    _, doc = parse(fmt, make_page(**PAGING))
    rels = {link.rel: link.href for link in doc.feed.links}
    assert {rel: rels[rel] for rel in ("first", "previous", "next", "last")} == {
        "first": PAGING["first_url"], "previous": PAGING["previous_url"],
        "next": PAGING["next_url"], "last": PAGING["last_url"]}
    assert rels["self"] == SELF_URL


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_no_paging_links_when_not_paged(fmt):
    _, doc = parse(fmt)
    assert {link.rel for link in doc.feed.links} == {"self", "alternate"}


def test_json_next_url_only_when_given():
    assert "next_url" not in parse("json")[1]
    assert parse("json", make_page(**PAGING))[1]["next_url"] == PAGING["next_url"]


# --- RSS specifics ---------------------------------------------------------------------

def test_rss_guid_is_not_a_permalink():
    raw, doc = parse("rss")
    assert all(e.guidislink is False for e in doc.entries)
    assert f'<guid isPermaLink="false">{entry_id(ARTICLES[0].id)}</guid>'.encode() in raw


def test_rss_channel_basics():
    _, doc = parse("rss", make_page(ttl_minutes=15))
    assert doc.feed.language == "vi"
    assert doc.feed.ttl == "15"
    assert doc.feed.generator == "feedsvc"
    assert doc.feed.title == "Kon Tum TV – Tin mới"


def test_rss_authors_are_one_dc_creator_never_author():
    # One element naming them all: sfeed, rss2email and feed2exec show only a first dc:creator,
    # newsboat only a last one.
    raw, doc = parse("rss")
    assert b"<author>" not in raw
    assert "<dc:creator>Thanh Tùng, Thanh Thái</dc:creator>".encode() in raw
    assert raw.count(b"<dc:creator>") == 3  # the fourth article names no author
    assert doc.entries[0].author == "Thanh Tùng, Thanh Thái"


def test_rss_summary_is_escaped_html_and_body_is_content_encoded():
    _, doc = parse("rss")
    first, script = doc.entries[0], doc.entries[1]
    assert first.summary == ARTICLES[0].summary
    assert html.unescape(script.summary) == ARTICLES[1].summary  # text, not markup
    assert first.content[0].value == content_html(ARTICLES[0])


def test_rss_item_without_body_or_summary_keeps_title_and_link():
    _, doc = parse("rss")
    last = doc.entries[-1]
    assert last.title == ARTICLES[3].title
    assert "content" not in last and "summary" not in last
    assert doc.bozo == 0


# --- Atom specifics --------------------------------------------------------------------

def test_atom_feed_metadata():
    raw, doc = parse("atom")
    assert doc.feed.id == "tag:kontumtv.vn,2021:feed:all"
    assert doc.feed.subtitle == "Tin tức mới nhất"
    assert doc.feed.author == "Kon Tum TV – Tin mới"  # inherited by entries without authors
    assert b'xml:lang="vi"' in raw
    assert doc.feed.generator == "feedsvc"


def test_atom_entries_have_typed_alternate_links_and_authors():
    raw, doc = parse("atom")
    for entry, article in zip(doc.entries, ARTICLES):
        alternates = [(link.href, link.type) for link in entry.links if link.rel == "alternate"]
        assert alternates == [(article_url(article.id), "text/html")]
    assert [a.name for a in doc.entries[0].authors] == ["Thanh Tùng", "Thanh Thái"]
    assert "authors" not in doc.entries[-1]
    assert raw.count(b'<title type="html">') == len(ARTICLES)


def test_atom_updated_is_published_spread_within_what_the_date_leaves_open():
    changed = datetime(2021, 3, 7, 10, 11, 12, tzinfo=ICT)
    _, doc = parse("atom", make_page(updated=changed))
    first = calendar.timegm(doc.entries[0].updated_parsed)
    assert NEWEST.timestamp() <= first < NEWEST.timestamp() + 60  # a time to the minute keeps its minute
    assert calendar.timegm(doc.entries[0].published_parsed) == NEWEST.timestamp()
    # An article with no date at all (the catalog dates every article it publishes) takes the feed's.
    assert calendar.timegm(doc.entries[-1].updated_parsed) == NEWEST.timestamp()


def test_atom_updated_values_are_distinct_and_stable_for_one_day():
    # W3C validator: DuplicateUpdated when two entries share an <updated>.
    day = datetime(2022, 5, 12, tzinfo=ICT)
    same_day = tuple(
        Article(id=f"{n:03d}_same_day", title=f"Bài {n}", category=None, category_slug=None, authors=(),
                body=("Nội dung.",), summary="Nội dung.", published=day, date_precision="day")
        for n in range(200)
    )
    _, doc = parse("atom", make_page(articles=same_day))
    stamps = [calendar.timegm(e.updated_parsed) for e in doc.entries]
    assert len(set(stamps)) == len(stamps) == 200
    assert all(day.timestamp() <= s < day.timestamp() + 86400 for s in stamps)
    # an entry's <updated> comes from its own id, not from its neighbours on the page
    alone = parse("atom", make_page(articles=same_day[7:8]))[1].entries[0]
    assert alone.updated == doc.entries[7].updated


def test_atom_summary_and_html_content():
    _, doc = parse("atom")
    first, script, empty = doc.entries[0], doc.entries[1], doc.entries[3]
    assert first.summary == ARTICLES[0].summary
    assert first.content[0].type == "text/html"
    assert first.content[0].value == content_html(ARTICLES[0])
    assert html.unescape(script.summary) == ARTICLES[1].summary
    # No body and no lead: no <content>, but a non-blank summary and the alternate link.
    assert "content" not in empty
    assert empty.summary == ARTICLES[3].title


# --- JSON Feed specifics ---------------------------------------------------------------

def test_json_items_map_every_field():
    raw, doc = parse("json")
    first, empty = doc["items"][0], doc["items"][3]
    assert list(first) == ["id", "url", "title", "summary", "content_html", "date_published",
                           "authors", "tags"]
    assert first["authors"] == [{"name": "Thanh Tùng"}, {"name": "Thanh Thái"}]
    assert first["content_html"] == content_html(ARTICLES[0])
    assert empty == {"id": entry_id(ARTICLES[3].id), "url": article_url(ARTICLES[3].id),
                     "title": ARTICLES[3].title, "content_html": ""}
    assert VI_TITLE.encode("utf-8") in raw  # ensure_ascii=False: readable UTF-8


# --- content_html ----------------------------------------------------------------------

def test_content_html_escapes_each_paragraph():
    article = replace(ARTICLES[1], body=("A & B <script>x</script>", "“Đoạn” hai"))
    assert content_html(article) == (
        "<p>A &amp; B &lt;script&gt;x&lt;/script&gt;</p>\n<p>“Đoạn” hai</p>")
    assert content_html(ARTICLES[3]) == ""


# --- properties and boundaries ---------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), min_size=1, max_size=80)


@pytest.mark.e2e  # Hypothesis: 40 examples, each rendered in every format and parsed back
@settings(max_examples=40, deadline=None)
@given(title=TEXT, para=TEXT)
def test_any_clean_text_gives_well_formed_feeds(title, para):
    article = replace(ARTICLES[0], title=title, body=(para,), summary=para)
    page = make_page(articles=(article,))
    for fmt in ("rss", "atom"):
        raw, doc = parse(fmt, page)
        assert doc.bozo == 0 and len(doc.entries) == 1
        assert b"<script" not in raw.lower()
    item = json.loads(RENDERERS["json"](page))["items"][0]
    assert (item["title"], item["summary"]) == (title, para)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_format_modules_import_no_web_code(fmt):
    module = sys.modules[FORMATS[fmt].render.__module__]
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"flask", "werkzeug", "os"}


@settings(max_examples=100, deadline=None)
@given(st.datetimes(timezones=st.builds(timezone, st.integers(-1439, 1439).map(lambda m: timedelta(minutes=m)))))
def test_rss_dates_are_what_the_standard_library_writes(moment):
    assert rfc822(moment) == format_datetime(moment)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="ab <>&\"'\nđẩ", max_size=12), max_size=5))
def test_content_is_each_paragraph_escaped_in_its_own_p(paragraphs):
    article = replace(ARTICLES[0], body=tuple(paragraphs))
    assert content_html(article) == "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
