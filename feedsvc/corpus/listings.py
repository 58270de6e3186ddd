"""Ordered listings of articles: the whole site, one per section (and one for articles without a
section), one per author, newest first, each with a version."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from feedsvc.articles.folding import slugify
from feedsvc.corpus.entry import FileEntry

ALL = ""  # the key of the whole-site listing
# Articles whose header names no section have a listing of their own, so that the section feeds
# together carry every article exactly once (an OPML import then shows each article once).
NO_SECTION = "chua-phan-loai"
NO_SECTION_NAME = "Chưa phân loại"  # WordPress's Vietnamese for "Uncategorized"
# Section slugs that would collide with another route or listing, and what they become.
RESERVED_SLUGS = {"": "chuyen-muc", "all": "chuyen-muc-all"}
AUTHOR = "author:"  # an author's listing key is this and the author's slug: never a section's slug


class ListingKey(NamedTuple):
    """Where an article sorts: newest first, then by id so the order never wobbles."""

    age: float  # minus the article's date: ascending order is newest first
    article_id: str


def listing_key(entry: FileEntry) -> ListingKey:
    return ListingKey(-entry.date, entry.id or "")


def section_slug(entry: FileEntry) -> str:
    """The listing of the article's section: its own, or the one for articles without a section."""
    return entry.category_slug or NO_SECTION


@lru_cache(maxsize=1 << 14)
def author_key(name: str) -> str | None:
    """The listing key of an author's name ('Hồng Hạnh' -> 'author:hong-hanh'), None if it has no letters."""
    slug = slugify(name)
    return AUTHOR + slug if slug else None


def author_keys(entry: FileEntry) -> tuple[str, ...]:
    return tuple(dict.fromkeys(key for name in entry.authors if (key := author_key(name)) is not None))


def slugs_of(entry: FileEntry) -> tuple[str, ...]:
    """The listings an article appears in: the site's, its section's and each author's."""
    return (ALL, section_slug(entry), *author_keys(entry))


def is_author(key: str) -> bool:
    return key.startswith(AUTHOR)


def _choose(spellings: Counter[str]) -> str:
    """The name a listing shows: a function of its articles alone, so every process and every order
    of arrival gives the same bytes. Written as names are written before all capitals, then the
    commonest, then the first in code point order."""
    return min(spellings, key=lambda name: (name.isupper(), -spellings[name], name))


class Listings:
    """Sorted keys per listing, display names per section, and a version digest per listing.

    A version is the XOR of the fingerprints of the listing's files and their count: equal in
    every process for the same files, whatever order they were added in.
    """

    def __init__(self) -> None:
        self.keys: dict[str, list[ListingKey]] = {ALL: []}
        self.names: dict[str, str] = {}
        # Every spelling of a listing's name among its articles ("Hồng Hạnh", "HỒNG HẠNH"): the name
        # shown is chosen from them, never from whichever article came first (see _choose).
        self._spellings: dict[str, Counter[str]] = {}
        self._versions: dict[str, tuple[int, int]] = {ALL: (0, 0)}

    def add(self, entry: FileEntry, *, sort: bool = True) -> tuple[str, ...]:
        """Put a published article in its listings (``sort=False``: :meth:`rebuild` follows); their slugs."""
        key = listing_key(entry)  # one tuple, shared by every listing it is in
        slugs = slugs_of(entry)
        for slug in slugs:
            if slug not in self.keys:
                self.keys[slug] = []
            spellings = self._spellings.get(slug)
            if spellings is None:
                spellings = self._spellings[slug] = Counter()
            spellings[self._name(slug, entry)] += 1
            if sort:  # else rebuild() chooses the name once a listing (a first load of 100k chose 333k times)
                self.names[slug] = _choose(spellings)
                insort(self.keys[slug], key)
            xor, count = self._versions.get(slug, (0, 0))
            self._versions[slug] = (xor ^ entry.fingerprint, count + 1)
        return slugs

    @staticmethod
    def _name(slug: str, entry: FileEntry) -> str:
        if is_author(slug):
            return next(name for name in entry.authors if author_key(name) == slug)
        return entry.category or NO_SECTION_NAME

    def remove(self, entry: FileEntry, *, sort: bool = True) -> tuple[str, ...]:
        """Take a published article out of its listings; their slugs."""
        slugs = slugs_of(entry)
        for slug in slugs:
            xor, count = self._versions[slug]
            self._versions[slug] = (xor ^ entry.fingerprint, count - 1)
            spellings = self._spellings[slug]
            spelling = self._name(slug, entry)
            spellings[spelling] -= 1
            if spellings[spelling] <= 0:
                del spellings[spelling]
            if not sort:
                continue  # rebuild() redoes the listing and its name
            if spellings:
                self.names[slug] = _choose(spellings)
            listing = self.keys[slug]
            del listing[bisect_left(listing, listing_key(entry))]
            if not listing and slug != ALL:
                self._forget(slug)
        return slugs

    def load(self, entries: Iterable[FileEntry]) -> set[str]:
        """Every published article into empty listings at once, as :meth:`add` (unsorted) then
        :meth:`rebuild` would; the slugs of the listings made."""
        keys: dict[str, list[ListingKey]] = {}
        spellings: dict[str, Counter[str]] = {}
        versions: dict[str, list[int]] = {}
        # Sorted once, newest first: every listing is then filled in its order (keys are unique).
        for key, entry in sorted((listing_key(entry), entry) for entry in entries):
            section = entry.category or NO_SECTION_NAME
            named = {ALL: section, section_slug(entry): section}
            for name in entry.authors:
                slug = author_key(name)
                if slug is not None and slug not in named:  # named twice: listed once, the first spelling
                    named[slug] = name
            for slug, name in named.items():
                listing = keys.get(slug)
                if listing is None:
                    listing = keys[slug] = []
                    spellings[slug] = Counter()
                    versions[slug] = [0, 0]
                listing.append(key)
                spellings[slug][name] += 1
                version = versions[slug]
                version[0] ^= entry.fingerprint
                version[1] += 1
        for slug, listing in keys.items():
            self.keys[slug] = listing
            self._spellings[slug] = spellings[slug]
            self.names[slug] = _choose(spellings[slug])
            self._versions[slug] = (versions[slug][0], versions[slug][1])
        return set(keys)

    def rebuild(self, slugs: Iterable[str], entries: Iterable[FileEntry]) -> None:
        """Sort these listings anew from every published entry, and choose their names: once, not at each change."""
        fresh: dict[str, list[ListingKey]] = {slug: [] for slug in slugs}
        everything = fresh.get(ALL)
        for entry in entries:
            key = listing_key(entry)
            if everything is not None:
                everything.append(key)
            for slug in slugs_of(entry)[1:]:
                listing = fresh.get(slug)
                if listing is not None:
                    listing.append(key)
        for slug, listing in fresh.items():
            listing.sort()
            if listing or slug == ALL:
                self.keys[slug] = listing
                if spellings := self._spellings.get(slug):
                    self.names[slug] = _choose(spellings)
            else:
                self._forget(slug)

    def _forget(self, slug: str) -> None:
        self.keys.pop(slug, None)
        self.names.pop(slug, None)
        self._spellings.pop(slug, None)
        self._versions.pop(slug, None)

    def version(self, slug: str = ALL) -> str:
        """A digest of the listing's content: equal in every process for the same files."""
        xor, count = self._versions.get(slug, (0, 0))
        return f"{xor:016x}.{count}"

    def count(self, slug: str = ALL) -> int:
        return len(self.keys.get(slug, ()))

    def window(self, slug: str, start: int, stop: int) -> list[ListingKey]:
        """The keys from ``start`` to ``stop`` of a listing (KeyError: no such listing)."""
        return self.keys[slug][start:stop]

    def newest(self, slug: str = ALL) -> float | None:
        """The newest article's date in a listing, or None when it is empty."""
        for key in self.keys.get(slug, [])[:1]:
            return -key.age
        return None

    def sections(self) -> list[tuple[str, str, int]]:
        """(slug, name, article count) of every section, by name; the no-section listing last."""
        found = [(slug, self.names[slug], len(keys)) for slug, keys in self.keys.items()
                 if slug != ALL and not is_author(slug)]
        return sorted(found, key=lambda item: (item[0] == NO_SECTION, item[1].casefold(), item[0]))

    def authors(self) -> list[tuple[str, str, int]]:
        """(slug without the prefix, name, article count) of every author, by name."""
        found = [(slug[len(AUTHOR):], self.names[slug], len(keys)) for slug, keys in self.keys.items()
                 if is_author(slug)]
        return sorted(found, key=lambda item: (item[1].casefold(), item[0]))
