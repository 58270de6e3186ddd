"""lexicon.txt: proper names as written, and the commonest spelling of each syllable in news text."""

from __future__ import annotations

from importlib import resources

from feedsvc.articles.folding import fold_word
from feedsvc.articles.usage import Usage


def _load_lexicon() -> tuple[Usage, dict[str, str]]:
    # Fallback for words the article never uses: proper names as written, then the
    # commonest spelling of each syllable in Vietnamese news text (lexicon.txt).
    raw = resources.files(__package__).joinpath("lexicon.txt").read_text("utf-8")
    lines = [line for line in raw.splitlines() if line and not line.startswith("#")]
    # One syllable alone is spelled from the syllable list, never from part of a
    # name: "nang" is "năng", not the "Nẵng" of Đà Nẵng; "bo" is "bộ", not "Bờ Y".
    syllables: dict[str, str] = {}
    for line in lines:
        if " " not in line and line.islower():
            syllables.setdefault(fold_word(line), line)
    return Usage.of_lines(lines), syllables


LEXICON, SYLLABLES = _load_lexicon()
