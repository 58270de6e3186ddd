"""The newsroom's sections, and splitting a header into category and title."""

from __future__ import annotations

import re
from functools import lru_cache

from feedsvc.articles.folding import match_key

# "Kinh tế - Giá cà phê tăng": a separator the header put between section and title.
_LEADING_SEPARATOR = re.compile(r"^[-–—:|]\s+")

# A header's first words are mostly section words, the same in file after file.
_word_key = lru_cache(maxsize=1 << 12)(match_key)

# kontumtv.vn's ten sections. Operators add more through FEEDSVC_CATEGORIES.
DEFAULT_CATEGORIES: tuple[str, ...] = (
    "Thời sự - Chính trị",
    "Kinh tế",
    "Văn hóa - Xã hội",
    "Quốc phòng - An ninh",
    "Giáo dục",
    "Y tế",
    "Thể thao",
    "Du lịch",
    "Nông nghiệp - Nông thôn",
    "Pháp luật",
)


class Vocabulary:
    """Known section names, matched by longest prefix of whole words."""

    def __init__(self, names: tuple[str, ...] = DEFAULT_CATEGORIES):
        self.names = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
        self._by_key = {match_key(name): name for name in self.names}
        self._max_words = max((len(key.split()) for key in self._by_key), default=0)

    @classmethod
    def extended(cls, extra: tuple[str, ...] | list[str] = ()) -> Vocabulary:
        """The default sections plus the operator's own."""
        return cls(DEFAULT_CATEGORIES + tuple(extra))

    def split(self, rest: str) -> tuple[str | None, str]:
        """'Y tế Y tế cơ sở …' -> ('Y tế', 'Y tế cơ sở …'). Unknown or empty -> (None, rest)."""
        if rest.startswith(" ") or not rest:
            # " date 2021-10  Title": two spaces, the section was left empty.
            return None, rest.strip()
        words = rest.split(" ", self._max_words)  # the title after them is joined back whole
        # match_key works word by word, so a prefix's key is its words' keys joined:
        # each word is keyed once (and cached), not once for every prefix length.
        keys = [_word_key(word) for word in words[: self._max_words]]
        # Longest first, so "Văn hóa - Xã hội" wins over a shorter name, and a
        # title that repeats the section's words keeps its own copy of them.
        for count in range(min(self._max_words, len(words) - 1), 0, -1):
            name = self._by_key.get(" ".join(filter(None, keys[:count])))  # "" keys: no word
            if name:
                return name, _LEADING_SEPARATOR.sub("", " ".join(words[count:]).strip())
        return None, rest.strip()
