"""Full-text search (corpus/search.py) through both stores: folded words, an AND of them, newest
first, and an index that follows every edit and deletion."""

from __future__ import annotations

import unicodedata
import zlib
from datetime import datetime

import pytest

from feedsvc.articles import Article
from feedsvc.articles.dates import VN_TZ
from feedsvc.corpus.entry import FileEntry
from feedsvc.corpus.search import SearchNotReady, query_terms
from feedsvc.corpus.sqlite_store import SqliteStore
from feedsvc.corpus.store import MemoryStore, Parsed, encode

DAY = datetime(2024, 3, 3, tzinfo=VN_TZ).timestamp()


def put(store, name: str, title: str, body: str = "Nội dung bài viết.", *, date: float = DAY,
        authors: tuple[str, ...] = ("Minh Châu",), error: str | None = None) -> None:
    """Store one file's article as the indexer does (an ``error``: the file is not published)."""
    article = Article(id=name[:-4], title=title, category="Kinh tế", category_slug="kinh-te", authors=authors,
                      body=(body,), summary=body, published=datetime.fromtimestamp(date, tz=VN_TZ),
                      date_precision="day")
    if error:
        store.put([Parsed(FileEntry(name, 1, 1, 1, error=error), None)])
        return
    entry = FileEntry(name, 1, 1, zlib.crc32(title.encode()), article.id, "Kinh tế", "kinh-te", date,
                      authors=authors)
    store.put([Parsed(entry, encode(article))])


def find(store, query: str, limit: int = 50, offset: int = 0) -> tuple[list[str], int]:
    return store.search(query_terms(query), limit, offset)


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    return MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "index.sqlite3")


@pytest.mark.parametrize("query, terms", [
    ("Kinh tế ĐẮK HÀ", ["kinh", "te", "dak", "ha"]),
    (unicodedata.normalize("NFD", "Đắk Hà"), ["dak", "ha"]),  # a decomposed query (macOS input)
    ("cà-phê!!", ["ca", "phe"]),
    ("Hoá Thuỷ", ["hoa", "thuy"]),  # old tone placement folds like the new
    ('"cà" OR phê* NEAR(x)', ["ca", "or", "phe", "near", "x"]),  # FTS5 syntax is only words
    ("", []),
    ("  – … ", []),
])
def test_query_terms_are_the_folded_words(query, terms):
    assert query_terms(query) == terms


@pytest.mark.parametrize("query, found", [
    ("dak ha", ["a.txt"]), ("ĐẮK HÀ", ["a.txt"]), ("Đắk", ["a.txt"]), ("đăk", ["a.txt"]), ("DAK", ["a.txt"]),
    (unicodedata.normalize("NFD", "Đắk Hà"), ["a.txt"]), ("ha dak", ["a.txt"]), ("Trồng", ["a.txt", "b.txt"]),
    ("MINH CHÂU", ["a.txt", "b.txt"]), ("sâm", ["b.txt"]), ("sam dak", []), ("da", []),  # whole words only
])
def test_case_and_diacritics_are_ignored_on_both_sides(store, query, found):
    put(store, "a.txt", "Đắk Hà trồng cà phê", date=DAY + 60)
    put(store, "b.txt", "Kon Tum trồng sâm")
    assert find(store, query) == (found, len(found))


def test_an_eth_written_for_d_stroke_is_found_like_it(store):
    # U+00D0 (the Icelandic eth) looks exactly like U+0110 (Đ), and Vietnamese text typed with some
    # keyboard layouts or converted from cp1258 carries it in its place: 'Ðắk Hà' is 'Đắk Hà'.
    put(store, "a.txt", "Ðắk Hà trồng cà phê")
    assert find(store, "Đắk Hà") == (["a.txt"], 1)
    assert find(store, "dak") == (["a.txt"], 1)


def test_every_word_must_match(store):
    put(store, "a.txt", "Cà phê Đắk Hà")
    put(store, "b.txt", "Cà phê Kon Tum")
    put(store, "c.txt", "Hồ tiêu Kon Tum")
    names, total = find(store, "ca phe")
    assert (sorted(names), total) == (["a.txt", "b.txt"], 2)
    assert find(store, "ca phe kon") == (["b.txt"], 1)
    assert find(store, "kon tum ho") == (["c.txt"], 1)
    assert find(store, "ca tieu") == ([], 0)
    assert find(store, "") == ([], 0)


def test_words_of_the_title_the_authors_and_the_body_are_found(store):
    put(store, "a.txt", "Tựa", "Thân bài nói về lúa nước.", authors=("Hồng Hạnh",))
    for query in ("tua", "lua nuoc", "hong hanh", "tua hanh nuoc"):
        assert find(store, query) == (["a.txt"], 1), query


def test_newest_first_by_date_and_paged_with_the_total(store):
    for n, day in enumerate([5, 1, 9, 3, 7]):
        put(store, f"{n}.txt", f"Bài cà phê số {n}", date=DAY + day * 86400)
    assert find(store, "ca phe") == (["2.txt", "4.txt", "0.txt", "3.txt", "1.txt"], 5)
    assert find(store, "ca phe", limit=2, offset=1) == (["4.txt", "0.txt"], 5)
    assert find(store, "ca phe", limit=2, offset=10) == ([], 5)


def test_articles_of_the_same_second_are_all_found(store):
    put(store, "a.txt", "Cà phê một", date=DAY + 0.2)
    put(store, "b.txt", "Cà phê hai", date=DAY + 0.7)
    # Two names whose tie-breakers collide as well (the same CRC-32 low bits): both are kept.
    low = zlib.crc32(b"c0.txt") & 1023
    twin = next(f"c{n}.txt" for n in range(1, 100_000) if zlib.crc32(f"c{n}.txt".encode()) & 1023 == low)
    put(store, "c0.txt", "Cà phê ba", date=DAY)
    put(store, twin, "Cà phê bốn", date=DAY)
    names, total = find(store, "ca phe")
    assert total == 4 and sorted(names) == sorted(["a.txt", "b.txt", "c0.txt", twin])
    put(store, "c0.txt", "Hồ tiêu", date=DAY)  # the twin's slot is its own: editing one leaves the other
    assert find(store, "ca phe bon") == ([twin], 1) and find(store, "ho tieu") == (["c0.txt"], 1)


def test_colliding_articles_of_one_batch_take_the_slots_below_even_past_a_stored_one(store):
    def twins(low: int, count: int) -> list[str]:
        return [f"d{n}.txt" for n in range(100_000) if zlib.crc32(f"d{n}.txt".encode()) & 1023 == low][:count]

    below = twins(40, 1)[0]  # stored first, in the slot just below the twins' own
    put(store, below, "Cà phê đã có", date=DAY)
    first, second, third = twins(41, 3)

    def parsed(name: str, title: str) -> Parsed:
        article = Article(id=name[:-4], title=title, category=None, category_slug=None, authors=(),
                          body=(title,), summary=title, published=datetime.fromtimestamp(DAY, tz=VN_TZ),
                          date_precision="day")
        return Parsed(FileEntry(name, 1, 1, 1, article.id, published_at=DAY), encode(article))

    store.put([parsed(first, "Cà phê một"), parsed(second, "Cà phê hai"), parsed(third, "Cà phê ba")])
    names, total = find(store, "ca phe")
    assert total == 4 and sorted(names) == sorted([below, first, second, third])
    for name, title in ((below, "da co"), (first, "mot"), (second, "hai"), (third, "ba")):
        assert find(store, f"ca phe {title}") == ([name], 1)
    # Editing the one stored first keeps the three in theirs.
    put(store, below, "Hồ tiêu", date=DAY)
    assert find(store, "ca phe")[1] == 3 and find(store, "ho tieu") == ([below], 1)


def test_an_edited_article_is_found_by_its_new_words_only(store):
    put(store, "a.txt", "Giá cà phê tăng")
    put(store, "a.txt", "Giá hồ tiêu tăng")
    assert find(store, "ca phe") == ([], 0)
    assert find(store, "ho tieu") == (["a.txt"], 1)
    assert find(store, "gia tang") == (["a.txt"], 1)  # once, not once per version


def test_a_redated_article_moves_in_the_order(store):
    put(store, "a.txt", "Cà phê cũ", date=DAY)
    put(store, "b.txt", "Cà phê giữa", date=DAY + 100)
    put(store, "a.txt", "Cà phê cũ", date=DAY + 200)
    assert find(store, "ca phe") == (["a.txt", "b.txt"], 2)


def test_a_deleted_or_unpublished_article_is_no_longer_found(store):
    put(store, "a.txt", "Cà phê Đắk Hà")
    put(store, "b.txt", "Cà phê Kon Tum")
    store.delete([FileEntry("a.txt", 1, 1, 1)])
    assert find(store, "ca phe") == (["b.txt"], 1)
    put(store, "b.txt", "", error="empty file: no text at all")
    assert find(store, "ca phe") == ([], 0)
    put(store, "a.txt", "Cà phê trở lại")  # and a file that comes back is found again
    assert find(store, "ca phe") == (["a.txt"], 1)


@pytest.mark.parametrize("query, found", [
    ('"', False), ("'", False), ("*", False), ("(", False), ("NEAR(a b)", True), ("a OR b", True), ("NOT", True),
    ("col:x", True), ("^x", True), ("a AND", True), ('"a" "b"', True), ("x*", True),
])
def test_search_syntax_in_a_query_is_only_text(store, query, found):
    put(store, "a.txt", "Không có gì", "hoặc là a or b and near col x not")
    assert find(store, query) == ((["a.txt"], 1) if found else ([], 0))


def test_a_first_load_is_searchable_once_caught_up_with_every_edit_and_deletion_in_between(tmp_path):
    """Inside filling() (a first load) the words wait; catch_up_search() moves them into FTS5 a
    step at a time. Edits and deletions in between, of waiting and of caught-up articles, leave the
    same search as a store that indexed every article at once."""
    deferred, direct = SqliteStore(tmp_path / "deferred.sqlite3"), SqliteStore(tmp_path / "direct.sqlite3")
    titles = {f"{n:02d}.txt": f"Cà phê số {n} {'Đắk Hà' if n % 3 else 'Kon Tum'}" for n in range(12)}
    with deferred.filling():
        for name, title in titles.items():
            put(deferred, name, title, date=DAY + int(name[:2]) * 60)
    for name, title in titles.items():
        put(direct, name, title, date=DAY + int(name[:2]) * 60)
    assert deferred.search_behind() and not direct.search_behind()
    with pytest.raises(SearchNotReady):
        find(deferred, "ca phe")
    assert not deferred.catch_up_search(5)  # the five oldest are in
    for store in (deferred, direct):
        put(store, "01.txt", "Hồ tiêu", date=DAY + 60)  # caught up: its old words leave FTS5
        put(store, "09.txt", "Hồ tiêu chín", date=DAY + 9 * 60)  # still waiting: its words are replaced
        store.delete([FileEntry("02.txt", 1, 1, 1), FileEntry("10.txt", 1, 1, 1)])  # one of each
        put(store, "12.txt", "Cà phê mới", date=DAY + 12 * 60)  # after the load: indexed at once
    while not deferred.catch_up_search(2):
        pass
    assert not deferred.search_behind() and deferred.catch_up_search(2)
    for query in ("ca phe", "dak ha", "kon tum", "ho tieu", "chin", "so 2", "so 10", "moi"):
        assert find(deferred, query) == find(direct, query), query
    assert find(deferred, "ca phe")[1] == 9 and find(deferred, "ho tieu")[0] == ["09.txt", "01.txt"]


def test_a_memory_store_is_never_behind():
    store = MemoryStore()
    with store.filling():
        put(store, "a.txt", "Cà phê")
    assert not store.search_behind() and store.catch_up_search(1)
    assert find(store, "ca phe") == (["a.txt"], 1)
