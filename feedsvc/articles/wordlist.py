"""Vietnamese words by their unaccented spelling, for spelling caps-title words an article never uses."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from feedsvc.articles import text

# words.txt: pyvi's dictionary (MIT; source and licence in its header). news_words.txt: words and
# set phrases of news writing, written for feedsvc; where both spell a key, news_words.txt wins.
GENERAL, NEWS = "words.txt", "news_words.txt"
MAX_SYLLABLES = 6  # longer entries are idioms, never a headline's words


class WordList:
    """Spellings of words by their folded syllables ("kho khan" -> ("khó khăn", "khô khan"))."""

    def __init__(self, general: list[str], news: list[str]):
        # One spelling (most keys) as a str, several as a tuple: a third of the memory of tuples.
        self._spellings: dict[str, str | tuple[str, ...]] = {}
        self._news: set[str] = set()
        for spelling in news:
            self._add(spelling, news=True)
        for spelling in general:
            self._add(spelling, news=False)
        self.longest = max((key.count(" ") + 1 for key in self._spellings), default=1)

    def _add(self, spelling: str, *, news: bool) -> None:
        if spelling.count(" ") >= MAX_SYLLABLES or not spelling.replace(" ", "").isalpha():
            return  # "a-xít", "A.D.N", idioms: not a headline's words
        key = text.fold(spelling)  # one character for one: the key keeps the syllables' spaces
        known = self._spellings.get(key)
        if known is None:
            self._spellings[key] = spelling
        elif spelling not in known:
            self._spellings[key] = (*((known,) if isinstance(known, str) else known), spelling)
        if news:
            self._news.add(key)

    def spellings(self, key: str) -> tuple[str, ...]:
        """Every spelling of a folded key, news writing's first ('kho khan' -> 'khó khăn', …).

        In one tone style (the corpus writes "hóa", "thủy"; the old "hoá" is the same word).
        """
        found = self._spellings.get(key, ())
        found = (found,) if isinstance(found, str) else found
        return tuple(dict.fromkeys(" ".join(map(text.retone, s.split())) for s in found))

    def is_news_word(self, key: str) -> bool:
        """Whether news_words.txt spells this key (its first spelling is then the news one)."""
        return key in self._news

    def longest_word(self, keys: list[str], start: int, stop: int) -> int:
        """Syllables in the longest word (two or more) spelled by keys[start:stop] from start, else 0."""
        for length in range(min(self.longest, stop - start), 1, -1):
            if " ".join(keys[start : start + length]) in self._spellings:
                return length
        return 0


def _lines(name: str) -> list[str]:
    raw = resources.files(__package__).joinpath(name).read_text("utf-8")
    return [line.strip() for line in raw.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def word_list() -> WordList:
    """The bundled list, loaded on first use: most articles have a header and never need it."""
    return WordList(_lines(GENERAL), _lines(NEWS))
