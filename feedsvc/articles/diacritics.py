"""Put Vietnamese diacritics back on an unaccented caps title, from the article's own words."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache
from importlib import resources

from feedsvc.articles import text

# Words repeat across a corpus; folding each spelling once is most of the saving.
fold = lru_cache(maxsize=1 << 16)(text.fold)

_WORD = re.compile(r"[^\W_]+", re.U)
_SENTENCE_END = (".", "!", "?", ":", ";", "–", "-", "(", "“", '"')


class _Usage:
    """How a text spells and capitalises each folded word, and in what order."""

    def __init__(self, paragraphs: list[str], *, every_word_votes: bool = False):
        self.keys: list[str] = []
        self.forms: list[str] = []
        self.positions: dict[str, list[int]] = defaultdict(list)
        self.spellings: dict[str, Counter] = defaultdict(Counter)
        self.case_votes: dict[str, Counter] = defaultdict(Counter)
        for paragraph in paragraphs:
            sentence_start = not every_word_votes
            last_end = 0
            for match in _WORD.finditer(paragraph):
                between = paragraph[last_end : match.start()].strip()
                if between.endswith(_SENTENCE_END) and not every_word_votes:
                    sentence_start = True
                last_end = match.end()
                word = match.group()
                key = fold(word)
                self.positions[key].append(len(self.keys))
                self.keys.append(key)
                self.forms.append(word)
                self.spellings[key][word.lower()] += 1
                if not sentence_start:
                    # Sentence-initial capitals say nothing about a word's case.
                    self.case_votes[word.lower()][_case_of(word)] += 1
                sentence_start = False
            self.keys.append("")  # runs never cross a paragraph
            self.forms.append("")

    def longest_run(self, keys: list[str], start: int) -> tuple[int, int]:
        """(length, position) of the longest run here that spells keys[start:]."""
        best = (0, -1)
        for pos in self.positions.get(keys[start], ()):
            length = 1
            while start + length < len(keys) and self.keys[pos + length] == keys[start + length]:
                length += 1
            if length > best[0]:
                best = (length, pos)
        return best

    def casing(self, spelling: str) -> str | None:
        votes = self.case_votes.get(spelling)
        return votes.most_common(1)[0][0] if votes else None


def _case_of(word: str) -> str:
    if len(word) > 1 and word.isupper():
        return "upper"
    return "title" if word[:1].isupper() else "lower"


def _apply_case(word: str, case: str | None) -> str:
    if case == "upper":
        return word.upper()
    if case == "title":
        return word[:1].upper() + word[1:]
    return word


def _load_lexicon() -> _Usage:
    # Fallback for words the article never uses: proper names as written, then the
    # commonest spelling of each syllable in Vietnamese news text (lexicon.txt).
    raw = resources.files(__package__).joinpath("lexicon.txt").read_text("utf-8")
    return _Usage([line for line in raw.splitlines() if line and not line.startswith("#")], every_word_votes=True)


LEXICON = _load_lexicon()


def restore(caps_line: str, paragraphs: list[str]) -> tuple[str, list[str]]:
    """'KON TUM TIEP TUC …' -> ('Kon Tum tiếp tục …', words found nowhere)."""
    body = _Usage(paragraphs)
    tokens = _WORD.findall(caps_line)
    keys = [fold(t) for t in tokens]
    spelled: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(keys):
        if not tokens[i].isascii():
            spelled.append(tokens[i].lower())  # accented capitals already spell the word
            i += 1
            continue
        # The longest phrase the article uses spells its words in context
        # ("kinh tế động lực"); only then the lexicon's phrases and syllables.
        for usage in (body, LEXICON):
            length, pos = usage.longest_run(keys, i)
            if length:
                length = next((n for n in range(1, length) if not tokens[i + n].isascii()), length)
                if length == 1 and usage.spellings[keys[i]]:
                    spelled.append(usage.spellings[keys[i]].most_common(1)[0][0])
                else:
                    spelled.extend(form.lower() for form in usage.forms[pos : pos + length])
                break
        else:
            length = 1
            spelled.append(tokens[i].lower())
            if tokens[i].isalpha():
                unknown.append(tokens[i])
        i += length
    words = [_apply_case(word, body.casing(word) or LEXICON.casing(word)) for word in spelled]
    return _rebuild(caps_line, tokens, words), unknown


def _rebuild(line: str, tokens: list[str], words: list[str]) -> str:
    out, cursor = [], 0
    for token, word in zip(tokens, words):
        at = line.index(token, cursor)
        out.append(line[cursor:at])
        out.append(word)
        cursor = at + len(token)
    out.append(line[cursor:])
    # Sentence case, and a capital after a colon: "Đăk Hà: Nông dân …".
    return re.sub(r"(^\W*|:\s+)(\w)", lambda m: m.group(1) + m.group(2).upper(), "".join(out))
