"""The publisher: documents built once per listing version and kept, dated by the clocks of what
they show, titled for their listing; the OPML list of the sections."""

from __future__ import annotations

import json
from datetime import datetime
from xml.etree import ElementTree as ET

import pytest

from feedsvc.articles.dates import VN_TZ
from feedsvc.corpus.catalog import Catalog, UnknownCategory
from feedsvc.corpus.indexer import Indexer
from feedsvc.corpus.listings import ALL, NO_SECTION
from feedsvc.corpus.source import FolderSource
from feedsvc.corpus.store import MemoryStore
from feedsvc.publishing.cache import DocumentCache
from feedsvc.publishing.formats.page import rfc822
from feedsvc.publishing.paging import PageOutOfRange
from feedsvc.publishing.publisher import Publisher
from feedsvc.publishing.site import Site

T = 1_800_000_000  # the indexer's clock: every change below happens at a second we choose
BASE = "https://tin.example"
SITE = Site(title="Kon Tum TV", description="Tin tức Kon Tum", tag_authority="kontumtv.vn,2021")
ATOM = "{http://www.w3.org/2005/Atom}"


def text(title: str, *, section: str = "Kinh tế", day: int = 3, byline: str = "Hồng Hạnh") -> bytes:
    header = f" date 2024-03-{day:02d} {section} {title}" if section else f" date 2024-03-{day:02d}  {title}"
    return f"{header}\n\n(kontumtv.vn) – Sáng {day}/3, nông dân xã Đắk Hà thu hoạch.\n\n{byline}\n".encode()


class World:
    """A folder, its catalog and indexer (on a clock the test moves), and a publisher of it."""

    def __init__(self, folder, renderer: str = "r1"):
        self.folder = folder
        self.now = float(T)
        self.catalog = Catalog(FolderSource(folder), MemoryStore())
        self.indexer = Indexer(self.catalog, clock=lambda: self.now, renderer=renderer, workers=1)
        self.publisher = Publisher(self.catalog, DocumentCache(), SITE)

    def refresh(self, at: float | None = None):
        if at is not None:
            self.now = at
        changes = self.indexer.refresh()
        self.publisher.forget(changes)  # the listener the app registers
        return changes

    def write(self, name: str, data: bytes) -> None:
        (self.folder / name).write_bytes(data)


@pytest.fixture
def world(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    world = World(folder)
    world.write("a.txt", text("Giá cà phê tăng", day=5))
    world.write("b.txt", text("Hồ tiêu được mùa", day=4, byline="Minh Châu"))
    world.write("c.txt", text("Khám sức khỏe cho trẻ", section="Y tế", day=3, byline="Hồng Hạnh - Minh Châu"))
    world.write("d.txt", text("Tin không chuyên mục", section="", day=2))
    world.refresh()
    return world


def atom(document) -> ET.Element:
    return ET.fromstring(document.body)


def entry_ids(document) -> list[str]:
    return [e.findtext(f"{ATOM}id") for e in atom(document).iter(f"{ATOM}entry")]


def tag(article_id: str) -> str:
    return SITE.entry_id(article_id)


def test_modified_is_the_later_of_the_listings_clock_and_the_renderers(world):
    publisher, catalog = world.publisher, world.catalog
    assert publisher.modified(ALL) == publisher.modified("kinh-te") == T + 1  # the second after the change
    # New code or settings: every document may have changed, though no listing did.
    world.indexer.renderer = "r2"
    world.refresh(at=T + 100)
    assert catalog.modified(ALL) == T + 1
    assert publisher.modified(ALL) == publisher.modified("y-te") == T + 101
    # Then a listing changes: its own clock is the later one, the others keep the renderer's.
    world.write("e.txt", text("Giá điều giảm", day=6))
    world.refresh(at=T + 200)
    assert publisher.modified(ALL) == publisher.modified("kinh-te") == T + 201
    assert publisher.modified("y-te") == T + 101
    assert publisher.modified("no-such-listing") == T + 101


def test_nothing_is_modified_before_the_first_load(tmp_path):
    assert World(tmp_path).publisher.modified(ALL) is None


def test_an_article_page_is_modified_when_its_bytes_or_the_renderer_last_changed(world):
    publisher = world.publisher
    assert publisher.article_modified("a") == T + 1
    world.write("a.txt", text("Giá cà phê tăng mạnh", day=5))
    world.refresh(at=T + 50)
    assert publisher.article_modified("a") == T + 51 and publisher.article_modified("b") == T + 1
    world.indexer.renderer = "r2"
    world.refresh(at=T + 80)
    assert publisher.article_modified("a") == publisher.article_modified("b") == T + 81


def test_one_listing_version_is_one_document_built_once(world):
    publisher, cache = world.publisher, world.publisher.cache
    first = publisher.feed(BASE, "kinh-te", "atom")
    assert publisher.feed(BASE, "kinh-te", "atom") is first and cache.builds == 1
    others = {fmt: publisher.feed(BASE, "y-te", fmt) for fmt in ("rss", "atom", "json")}
    assert len({doc.etag for doc in others.values()}) == 3  # one document per format
    assert publisher.feed("http://other.example", "kinh-te", "atom") is not first  # links differ per base URL
    # A change to one section: its documents are new, the other section's stay.
    world.write("e.txt", text("Giá điều giảm", day=6))
    world.refresh(at=T + 10)
    changed = publisher.feed(BASE, "kinh-te", "atom")
    assert changed is not first and entry_ids(changed)[0] == tag("e")
    assert all(publisher.feed(BASE, "y-te", fmt) is doc for fmt, doc in others.items())


def test_the_listener_drops_the_documents_of_the_listings_that_changed_only(world):
    publisher, cache = world.publisher, world.publisher.cache
    for slug in (ALL, "kinh-te", "y-te", "author:minh-chau"):
        publisher.feed(BASE, slug, "rss")
    publisher.opml(BASE)
    assert len(cache) == 5
    world.write("a.txt", text("Giá cà phê tăng mạnh", day=5))  # touches all, kinh-te and author:hong-hanh
    world.refresh(at=T + 10)
    assert len(cache) == 2  # y-te and author:minh-chau stay; all, kinh-te and the OPML list go


def test_an_empty_feed_is_dated_from_the_files_alone(world, tmp_path):
    # A search that finds nothing is dated like the site's newest article, in every index however
    # late it saw the files (a clock would make two instances serve different bytes).
    newest = datetime(2024, 3, 5, tzinfo=VN_TZ)
    nothing = world.publisher.search_feed(BASE, "không có bài nào", "atom")
    assert entry_ids(nothing) == [] and datetime.fromisoformat(atom(nothing).findtext(f"{ATOM}updated")) == newest
    later = World(world.folder)
    later.refresh(at=T + 5000)
    assert later.publisher.search_feed(BASE, "không có bài nào", "atom").body == nothing.body

    for name in ("a.txt", "b.txt", "c.txt", "d.txt"):
        (world.folder / name).unlink()
    world.refresh(at=T + 50)
    rss = ET.fromstring(world.publisher.feed(BASE, ALL, "rss").body)
    assert rss.find("channel/item") is None
    epoch = datetime.fromtimestamp(0, tz=VN_TZ)  # an empty site: no file gives a date, none is made up
    assert rss.findtext("channel/lastBuildDate") == rfc822(epoch)
    # A section that lost its last article is no listing at all (a 404 upstream).
    with pytest.raises(UnknownCategory):
        world.publisher.feed(BASE, "kinh-te", "atom")


def test_a_feed_is_updated_when_its_newest_article_was_published_not_when_it_was_built(world):
    feed = atom(world.publisher.feed(BASE, "kinh-te", "atom"))
    assert datetime.fromisoformat(feed.findtext(f"{ATOM}updated")) == datetime(2024, 3, 5, tzinfo=VN_TZ)


@pytest.mark.parametrize("slug, title, ids", [
    (ALL, "Kon Tum TV", ["a", "b", "c", "d"]),
    ("kinh-te", "Kinh tế – Kon Tum TV", ["a", "b"]),
    ("y-te", "Y tế – Kon Tum TV", ["c"]),
    (NO_SECTION, "Chưa phân loại – Kon Tum TV", ["d"]),
    ("author:hong-hanh", "Bài viết của Hồng Hạnh – Kon Tum TV", ["a", "c", "d"]),
    ("author:minh-chau", "Bài viết của Minh Châu – Kon Tum TV", ["b", "c"]),
])
def test_each_listing_has_its_title_its_articles_and_its_links(world, slug, title, ids):
    publisher = world.publisher
    assert publisher.title(slug) == title
    feed = atom(publisher.feed(BASE, slug, "atom"))
    assert feed.findtext(f"{ATOM}title") == title and feed.findtext(f"{ATOM}id") == SITE.feed_id(slug)
    assert entry_ids(publisher.feed(BASE, slug, "atom")) == [tag(i) for i in ids]
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    path = {ALL: "all", "author:hong-hanh": "authors/hong-hanh", "author:minh-chau": "authors/minh-chau"}
    assert links["self"] == f"{BASE}/feeds/{path.get(slug, slug)}.atom"
    assert json.loads(publisher.feed(BASE, slug, "json").body)["title"] == title


def test_an_unknown_listing_has_no_title_and_no_feed(world):
    with pytest.raises(UnknownCategory):
        world.publisher.title("the-thao")
    with pytest.raises(UnknownCategory):
        world.publisher.feed(BASE, "author:nobody", "rss")


def test_pages_link_to_each_other_and_a_page_past_the_last_is_refused_and_not_kept(world):
    publisher, cache = world.publisher, world.publisher.cache
    second = atom(publisher.feed(BASE, ALL, "atom", limit=1, page=2))
    links = {link.get("rel"): link.get("href") for link in second.findall(f"{ATOM}link")}
    assert links["self"] == f"{BASE}/feeds/all.atom?limit=1&page=2"
    assert (links["first"], links["previous"], links["next"], links["last"]) == (
        f"{BASE}/feeds/all.atom?limit=1", f"{BASE}/feeds/all.atom?limit=1",
        f"{BASE}/feeds/all.atom?limit=1&page=3", f"{BASE}/feeds/all.atom?limit=1&page=4")
    kept = len(cache)
    with pytest.raises(PageOutOfRange):
        publisher.feed(BASE, ALL, "atom", limit=1, page=5)
    assert len(cache) == kept


def test_a_search_is_a_feed_of_its_results_kept_until_the_site_changes(world):
    publisher = world.publisher
    document = publisher.search_feed(BASE, "Hồ tiêu", "atom")
    feed = atom(document)
    assert entry_ids(document) == [tag("b")]
    assert feed.findtext(f"{ATOM}title") == "Tìm kiếm “Hồ tiêu” – Kon Tum TV"
    assert feed.findtext(f"{ATOM}id") == SITE.feed_id("search:ho+tieu")
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["self"] == f"{BASE}/search.atom?q=H%E1%BB%93+ti%C3%AAu"
    assert publisher.search_feed(BASE, "Hồ tiêu", "atom") is document
    assert entry_ids(publisher.search_feed(BASE, "cà phê hồ tiêu", "atom")) == []
    world.write("e.txt", text("Hồ tiêu xuất khẩu", day=9, section="Y tế"))
    world.refresh(at=T + 10)
    again = publisher.search_feed(BASE, "Hồ tiêu", "atom")
    assert again is not document and entry_ids(again) == [tag("e"), tag("b")]


@pytest.mark.parametrize("fmt, kind", [("rss", "rss"), ("atom", "atom"), ("json", "jsonfeed")])
def test_the_opml_list_names_every_section_feed_and_nothing_else(world, fmt, kind):
    document = world.publisher.opml(BASE, fmt)
    assert document.media_type.startswith("text/x-opml")
    root = ET.fromstring(document.body)
    outlines = [(o.get("text"), o.get("type"), o.get("xmlUrl"), o.get("htmlUrl")) for o in root.iter("outline")]
    assert outlines == [
        ("Kinh tế", kind, f"{BASE}/feeds/kinh-te.{fmt}", f"{BASE}/categories/kinh-te"),
        ("Y tế", kind, f"{BASE}/feeds/y-te.{fmt}", f"{BASE}/categories/y-te"),
        ("Chưa phân loại", kind, f"{BASE}/feeds/{NO_SECTION}.{fmt}", f"{BASE}/categories/{NO_SECTION}"),
    ]
    assert root.findtext("head/title") == "Kon Tum TV"
    assert root.findtext("head/dateModified") == rfc822(datetime(2024, 3, 5, tzinfo=VN_TZ))


def test_the_same_files_give_the_same_bytes_whatever_order_a_process_saw_them_in(tmp_path):
    # One author, two spellings of the byline ('Hồng Hạnh', 'HỒNG HẠNH'): one listing, author:hong-hanh.
    # Two processes that saw the files arrive in either order, and a fresh start on all of them
    # (which folds them in the order of a set of ids, so of the hash seed), serve one feed.
    files = {"a.txt": text("Giá cà phê tăng", day=5), "b.txt": text("Tin mới nhất", day=9, byline="HỒNG HẠNH")}
    worlds = []
    for order in (["a.txt", "b.txt"], ["b.txt", "a.txt"]):
        folder = tmp_path / "-".join(order)
        folder.mkdir()
        world = World(folder)
        for step, name in enumerate(order):
            world.write(name, files[name])
            world.refresh(at=T + step)
        worlds.append(world)
    fresh = World(worlds[0].folder)
    fresh.refresh(at=T + 20)
    worlds.append(fresh)
    for slug in (ALL, "kinh-te", "author:hong-hanh"):
        assert len({world.catalog.version(slug) for world in worlds}) == 1
        titles = [world.publisher.title(slug) for world in worlds]
        assert titles == [titles[-1]] * 3, slug
        assert len({world.publisher.feed(BASE, slug, "atom").body for world in worlds}) == 1, slug
