"""Put Vietnamese diacritics back on an unaccented caps title: the article's own words first,
then names, then a Vietnamese word list; every word with a confidence."""

from __future__ import annotations

import re
from dataclasses import dataclass

from feedsvc.articles.folding import fold_word as fold
from feedsvc.articles.lexicon import LEXICON
from feedsvc.articles.segment import LOW, SURE, UNKNOWN, pieces, spell
from feedsvc.articles.usage import WORD, Usage
from feedsvc.articles.wordlist import word_list


@dataclass(frozen=True, slots=True)
class RestoredWord:
    caps: str  # as the caps line writes it: "NANG"
    word: str  # as restored, in lower case: "nâng"
    confidence: float


@dataclass(frozen=True, slots=True)
class Restored:
    title: str
    words: tuple[RestoredWord, ...]

    @property
    def unknown(self) -> list[str]:
        """Caps words found nowhere, left without diacritics."""
        return [w.caps for w in self.words if w.confidence == UNKNOWN]

    @property
    def guessed(self) -> list[RestoredWord]:
        """Restored words whose spelling is a guess (confidence below LOW, but found somewhere)."""
        return [w for w in self.words if UNKNOWN < w.confidence < LOW]


def restore(caps_line: str, paragraphs: list[str]) -> Restored:
    """'KON TUM TIEP TUC …' -> 'Kon Tum tiếp tục …', with a confidence for every word."""
    tokens = WORD.findall(caps_line)
    keys = [fold(t) for t in tokens]
    body = Usage.for_title(paragraphs, keys, frozenset(k for k, t in zip(keys, tokens) if t.isascii()))
    words = word_list()
    chosen = pieces(tokens, keys, body, words)
    spelled: list[str] = []
    cases: list[str | None] = []  # the case a run of words has where the text uses it
    sure: list[float] = []
    for start, piece in chosen:
        piece_spelled, piece_cases = spell(piece, start, tokens, body)
        spelled += piece_spelled
        cases += piece_cases
        sure += [piece.confidence] * piece.length
    final = [
        _apply_case(word, case or body.casing(word) or LEXICON.casing(word)) for word, case in zip(spelled, cases)
    ]
    restored = tuple(
        RestoredWord(token, word.lower(), confidence)
        for token, word, confidence in zip(tokens, final, sure)
        if token.isascii() and token.isalpha() and confidence < SURE
    )
    return Restored(_rebuild(caps_line, tokens, final), restored)


def _apply_case(word: str, case: str | None) -> str:
    if case == "upper":
        return word.upper()
    if case == "title":
        return word[:1].upper() + word[1:]
    return word


def _rebuild(line: str, tokens: list[str], words: list[str]) -> str:
    out, cursor = [], 0
    for token, word in zip(tokens, words):
        at = line.index(token, cursor)
        out.append(line[cursor:at])
        out.append(word)
        cursor = at + len(token)
    out.append(line[cursor:])
    # Sentence case, and a capital after a colon: "Đăk Hà: Nông dân …", 'Kon Rẫy: "Thay áo mới" …'.
    return re.sub(r"(^\W*|:\s+\W*)(\w)", lambda m: m.group(1) + m.group(2).upper(), "".join(out))
