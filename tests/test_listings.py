"""Listings: every process that holds the same published files holds the same listings, whatever
order the files came in, went out, or were sorted in bulk."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from feedsvc.corpus.entry import FileEntry
from feedsvc.corpus.ledger import BULK_FROM, Ledger
from feedsvc.corpus.listings import ALL, NO_SECTION, NO_SECTION_NAME, ListingKey, Listings, author_key, slugs_of

DAY = 1_709_400_000.0
SECTIONS = [("Kinh tế", "kinh-te"), ("Y tế", "y-te"), ("Giáo dục", "giao-duc"), (None, None)]
AUTHORS = [("Hồng Hạnh",), ("Minh Châu", "Hồng Hạnh"), (), ("Thanh Tùng",), ("TTXVN",)]


def entry(n: int, *, section: int | None = None, day: float | None = None, authors: tuple[str, ...] | None = None,
          fingerprint: int | None = None) -> FileEntry:
    category, slug = SECTIONS[n % len(SECTIONS) if section is None else section]
    published = DAY + (n % 7) * 3600 if day is None else day
    return FileEntry(f"{n:03d}.txt", 100 + n, n, fingerprint if fingerprint is not None else (n * 7919) << 20,
                     f"{n:03d}", category, slug, published if n % 5 else None, first_seen=DAY - n,
                     authors=AUTHORS[n % len(AUTHORS)] if authors is None else authors)


ENTRIES = [entry(n) for n in range(40)]


def snapshot(listings: Listings) -> tuple:
    """Everything a process shows of its listings."""
    slugs = sorted(listings.keys)
    return ({slug: listings.version(slug) for slug in slugs}, {slug: listings.keys[slug] for slug in slugs},
            listings.sections(), listings.authors())


def one_by_one(entries) -> Listings:
    listings = Listings()
    for e in entries:
        listings.add(e)
    return listings


def in_bulk(entries) -> Listings:
    listings = Listings()
    slugs = set()
    for e in entries:
        slugs.update(listings.add(e, sort=False))
    listings.rebuild(slugs, entries)
    return listings


@pytest.mark.parametrize("seed", range(5))
def test_adding_in_any_order_one_by_one_or_in_bulk_gives_the_same_listings(seed):
    shuffled = random.Random(seed).sample(ENTRIES, len(ENTRIES))
    assert snapshot(one_by_one(shuffled)) == snapshot(one_by_one(ENTRIES)) == snapshot(in_bulk(ENTRIES))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("sort", [True, False], ids=["one-by-one", "bulk"])
def test_removing_in_any_order_gives_what_adding_only_the_rest_gives(seed, sort):
    rng = random.Random(seed)
    gone = rng.sample(ENTRIES, 25)
    listings = one_by_one(rng.sample(ENTRIES, len(ENTRIES)))
    touched = set()
    for e in gone:
        touched.update(listings.remove(e, sort=sort))
    if not sort:
        rest = [e for e in ENTRIES if e not in gone]
        listings.rebuild(touched, rest)
    assert snapshot(listings) == snapshot(one_by_one(e for e in ENTRIES if e not in gone))


def test_removing_everything_leaves_the_empty_site_listing_only():
    listings = one_by_one(ENTRIES)
    for e in ENTRIES:
        listings.remove(e)
    assert snapshot(listings) == snapshot(Listings())
    assert listings.keys == {ALL: []} and listings.version() == Listings().version() == "0000000000000000.0"


def test_a_version_is_a_digest_of_the_files_not_of_their_order():
    a, b, c = ENTRIES[:3]
    versions = {one_by_one(order).version() for order in ([a, b, c], [c, a, b], [b, c, a])}
    assert len(versions) == 1
    assert one_by_one([a, b]).version() not in versions
    # The same files, one with other bytes (another fingerprint): another version.
    assert one_by_one([a, b, entry(2, fingerprint=12345)]).version() not in versions
    # Adding a file and taking it out again puts the version back.
    listings = one_by_one([a, b, c])
    listings.add(ENTRIES[3])
    listings.remove(ENTRIES[3])
    assert listings.version() in versions


def test_an_article_is_in_the_site_its_section_and_each_named_author_listing():
    e = entry(1, section=0, authors=("Minh Châu", "Hồng Hạnh", "MINH CHÂU", "—"))
    assert slugs_of(e) == (ALL, "kinh-te", "author:minh-chau", "author:hong-hanh")
    assert slugs_of(entry(3, section=3, authors=())) == (ALL, NO_SECTION)
    assert author_key("Hồng Hạnh") == "author:hong-hanh" and author_key("—") is None


def test_listings_are_newest_first_and_ids_break_ties():
    same_day = [entry(n, day=DAY, section=0) for n in (1, 2, 3, 4)]  # n=5 would be undated
    listings = one_by_one([*same_day, entry(6, day=DAY + 10, section=0), entry(7, day=DAY - 10, section=0)])
    assert [key.article_id for key in listings.window(ALL, 0, 10)] == ["006", "001", "002", "003", "004", "007"]
    assert listings.window("kinh-te", 0, 10) == listings.window(ALL, 0, 10)
    assert listings.window(ALL, 0, 1) == [ListingKey(-(DAY + 10), "006")]


def test_an_undated_article_sorts_by_when_it_was_first_seen():
    undated = replace(entry(5, section=0), first_seen=DAY)  # every fifth has no date of its own
    assert undated.published_at is None
    listings = one_by_one([entry(1, day=DAY - 1, section=0), undated, entry(2, day=DAY - 10, section=0)])
    assert [key.article_id for key in listings.window(ALL, 0, 3)] == ["005", "001", "002"]


def test_window_count_and_newest():
    listings = one_by_one(ENTRIES)
    keys = listings.window(ALL, 0, 100)
    assert len(keys) == listings.count() == 40
    assert listings.window(ALL, 10, 15) == keys[10:15] and listings.window(ALL, 38, 60) == keys[38:]
    assert listings.window(ALL, 50, 60) == []
    assert listings.newest() == max(e.date for e in ENTRIES) == -keys[0].age
    assert listings.newest("kinh-te") == max(e.date for e in ENTRIES if e.category_slug == "kinh-te")
    assert listings.count("kinh-te") == sum(e.category_slug == "kinh-te" for e in ENTRIES)
    assert listings.newest("nope") is None and listings.count("nope") == 0
    with pytest.raises(KeyError):
        listings.window("nope", 0, 10)
    assert Listings().newest() is None and Listings().window(ALL, 0, 10) == []


def test_sections_by_name_without_authors_and_the_no_section_listing_last():
    listings = one_by_one(ENTRIES)
    sections = listings.sections()
    assert [slug for slug, _, _ in sections] == ["giao-duc", "kinh-te", "y-te", NO_SECTION]
    assert sections[-1] == (NO_SECTION, NO_SECTION_NAME, sum(e.category is None for e in ENTRIES))
    assert dict((slug, name) for slug, name, _ in sections)["y-te"] == "Y tế"
    assert sum(count for _, _, count in sections) == listings.count()  # the sections partition the site


def test_authors_by_name_with_their_counts():
    listings = one_by_one(ENTRIES)
    # AUTHORS cycles every 5 entries: 8 with Hồng Hạnh alone, 8 with Minh Châu and Hồng Hạnh, ...
    assert listings.authors() == [("hong-hanh", "Hồng Hạnh", 16), ("minh-chau", "Minh Châu", 8),
                                  ("thanh-tung", "Thanh Tùng", 8), ("ttxvn", "TTXVN", 8)]
    for e in ENTRIES:
        listings.remove(e)
    assert listings.authors() == [] and listings.sections() == []


@pytest.mark.parametrize("first, second", [("Hồng Hạnh", "HỒNG HẠNH"), ("HỒNG HẠNH", "Hồng Hạnh")],
                         ids=["title-case-first", "capitals-first"])
def test_one_author_spelled_two_ways_has_one_name_whatever_came_first(first, second):
    # Bylines are free text: 'Hồng Hạnh' and 'HỒNG HẠNH' are one listing (author:hong-hanh). Its name
    # is in the feed title, so it must not depend on which file a process happened to read first.
    a, b = entry(1, authors=(first,)), entry(2, authors=(second,))
    assert one_by_one([a, b]).authors() == one_by_one([b, a]).authors()


def test_an_author_name_left_by_a_removed_article_is_the_one_a_fresh_start_shows():
    a, b = entry(1, authors=("HỒNG HẠNH",)), entry(2, authors=("Hồng Hạnh",))
    listings = one_by_one([a, b])
    listings.remove(a)
    assert listings.authors() == one_by_one([b]).authors()


def state(listings: Listings) -> tuple:
    """Everything a Listings holds, the spellings its names are chosen from included."""
    return snapshot(listings), dict(listings.names), {slug: dict(c) for slug, c in listings._spellings.items()}


@pytest.mark.parametrize("seed", range(4))
def test_loading_empty_listings_at_once_is_adding_one_by_one(seed):
    rng = random.Random(seed)
    spellings = [("Hồng Hạnh",), ("HỒNG HẠNH", "Minh Châu"), ("Minh Châu", "Hồng Hạnh", "minh châu"), (), ("***",)]
    entries = [entry(n, authors=rng.choice(spellings), section=rng.randrange(len(SECTIONS))) for n in range(60)]
    loaded = Listings()
    touched = loaded.load(rng.sample(entries, len(entries)))
    assert state(loaded) == state(one_by_one(entries))
    assert touched == {slug for e in entries for slug in slugs_of(e)}
    assert Listings().load([]) == set() and state(Listings()) == state(one_by_one([]))


def ledger_state(ledger: Ledger) -> tuple:
    return (ledger.entries, ledger.by_id, ledger._claims, ledger._errors, ledger._duplicated, ledger.warned,
            state(ledger.listings), ledger.skipped({}))


@pytest.mark.parametrize("seed", range(3))
def test_a_first_load_into_an_empty_ledger_is_what_applying_in_parts_gives(seed):
    rng = random.Random(seed)
    entries = []
    for n in range(BULK_FROM + 200):
        e = replace(entry(n), warnings=n % 3)
        if n % 97 == 0:
            e = replace(e, name=f"{n - 1:03d}.TXT", id=f"{n - 1:03d}")  # another file giving an id already given
        if n % 89 == 0:
            e = FileEntry(f"{n:03d}.txt", 0, 0, 0, error="empty file: no text at all")
        entries.append(e)
    rng.shuffle(entries)
    at_once, in_parts = Ledger(), Ledger()
    touched = at_once.apply(entries, [])
    parted = in_parts.apply(entries[:7], []) | in_parts.apply(entries[7:], [])
    assert ledger_state(at_once) == ledger_state(in_parts) and touched == parted
    assert at_once._duplicated and at_once._errors and at_once.warned
