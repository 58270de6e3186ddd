"""Vietnamese words by their unaccented spelling, for spelling caps-title words an article never uses."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib import resources

from feedsvc.articles import folding

# words.txt: pyvi's dictionary (MIT; source and licence in its header). news_words.txt: words and
# set phrases of news writing, written for feedsvc; where both spell a key, news_words.txt wins.
GENERAL, NEWS = "words.txt", "news_words.txt"
MAX_SYLLABLES = 6  # longer entries are idioms, never a headline's words


class WordList:
    """Spellings of words by their folded syllables ("kho khan" -> ("khó khăn", "khô khan"))."""

    def __init__(self, general: str, news: str):
        """From the text of the two files: one word a line, '#' comment lines."""
        # One spelling (most keys) as a str, several as a tuple: a third of the memory of tuples.
        self._spellings: dict[str, str | tuple[str, ...]] = {}
        self._news: set[str] = set()
        self._retoned: dict[str, tuple[str, ...]] = {}  # spellings() of the keys asked for so far
        for raw, news_words in ((news, True), (general, False)):
            # Folded whole, one character for one: line i of the folded text is the key of line i.
            for spelling, key in zip(raw.splitlines(), folding.fold_chars(raw).splitlines()):
                if spelling and spelling[0] != "#":
                    self._add(spelling.strip(), key.strip(), news=news_words)
        self.longest = max((key.count(" ") + 1 for key in self._spellings), default=1)
        # ``key in self`` without a Python call: the title splitter asks it for every stretch of words.
        self.knows: Callable[[str], bool] = self._spellings.__contains__

    def _add(self, spelling: str, key: str, *, news: bool) -> None:
        if key.count(" ") >= MAX_SYLLABLES or not key.replace(" ", "").isalpha() or not key.isascii():
            return  # "a-xít", "A.D.N", idioms, letters outside Vietnamese: not a headline's words
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
        done = self._retoned.get(key)
        if done is None:
            found = self._spellings.get(key, ())
            found = (found,) if isinstance(found, str) else found
            done = self._retoned[key] = tuple(dict.fromkeys(" ".join(map(folding.retone, s.split())) for s in found))
        return done

    def __contains__(self, key: str) -> bool:
        return key in self._spellings

    def is_news_word(self, key: str) -> bool:
        """Whether news_words.txt spells this key (its first spelling is then the news one)."""
        return key in self._news


def _text(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text("utf-8")


@lru_cache(maxsize=1)
def word_list() -> WordList:
    """The bundled list, loaded on first use: most articles have a header and never need it."""
    return WordList(_text(GENERAL), _text(NEWS))
