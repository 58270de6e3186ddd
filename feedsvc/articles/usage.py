"""How a text spells and capitalises each (folded) word, and in what order: what the title restorer
matches a caps title against (the article itself, or the lexicon of names)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from itertools import accumulate, compress

from feedsvc.articles import text

WORD = re.compile(r"[^\W_]+", re.U)
_WORDS_AND_GAPS = re.compile(r"([^\W_]+)")  # split: gap, word, gap, word, …, gap
_SENTENCE_END = (".", "!", "?", ":", ";", "–", "-", "(", "“", '"')


class Usage:
    """How a text spells and capitalises each folded word, and in what order.

    ``keys`` has one folded word a position and "" where a run of words is broken (the
    end of a paragraph, or in :meth:`for_title` a stretch of words the title lacks).
    """

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.forms: dict[int, str] = {}
        self.sentence_starts: set[int] = set()
        self.inside_names: set[int] = set()  # right after a capitalised word the title lacks
        self.positions: dict[str, list[int]] = defaultdict(list)
        self.spellings: dict[str, Counter[str]] = defaultdict(Counter)
        self.case_votes: dict[str, Counter[str]] = defaultdict(Counter)

    @classmethod
    def of_lines(cls, lines: list[str]) -> Usage:
        """Every word of every line, each voting on its case (the lexicon: no sentences)."""
        usage = cls()
        for line in lines:
            # Folded one character for one, so a match in the folded text is also
            # the span of the word as written.
            for match in WORD.finditer(text.fold_chars(line)):
                usage._record(match.group(), line[match.start() : match.end()], sentence_start=False)
            usage.keys.append("")  # runs never cross a line
        return usage

    @classmethod
    def for_title(cls, paragraphs: list[str], keys: list[str], wanted: frozenset[str]) -> Usage:
        """The words of ``paragraphs`` a title's ``keys`` can match; ``wanted`` ones are recorded.

        Runs only ever match the title's words, so no other word needs a position: a
        stretch of them is one "" that breaks the run. Each paragraph is split into
        words and gaps in one regex call, and only the title's words are looked at.
        """
        usage = cls()
        title_keys = frozenset(keys)
        for paragraph in paragraphs:
            # Folded one character for one: each folded part is as long as the written one.
            parts = _WORDS_AND_GAPS.split(text.fold_chars(paragraph))
            # The title's words among the paragraph's (every other part), tested in C.
            hits = list(compress(range(1, len(parts), 2), map(title_keys.__contains__, parts[1::2])))
            ends = list(accumulate(map(len, parts))) if hits else []
            previous = -1
            for i in hits:
                if i != previous + 2:
                    usage.keys.append("")  # other words in between
                key = parts[i]
                if key in wanted:
                    # Sentence-initial capitals say nothing about a word's case, and neither do
                    # those of a word inside a longer name: "môi trường" is capitalised in "Ngày
                    # Môi trường thế giới" only because the name starts with "Ngày".
                    opens = i == 1 or paragraph[ends[i - 2] : ends[i - 1]].strip().endswith(_SENTENCE_END)
                    inside = not opens and i > 2 and parts[i - 2] not in title_keys and _in_name(paragraph, ends, i - 2)
                    usage._record(key, paragraph[ends[i - 1] : ends[i]], sentence_start=opens or inside)
                    if inside:
                        usage.inside_names.add(len(usage.keys) - 1)
                else:
                    usage.keys.append(key)
                previous = i
            usage.keys.append("")  # runs never cross a paragraph
        return usage

    def _record(self, key: str, word: str, *, sentence_start: bool) -> None:
        position = len(self.keys)
        self.keys.append(key)
        self.positions[key].append(position)
        self.forms[position] = word
        self.spellings[key][word.lower()] += 1
        if sentence_start:
            self.sentence_starts.add(position)
        else:
            self.case_votes[word.lower()][case_of(word)] += 1

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
        if not votes:
            return None
        case, count = votes.most_common(1)[0]
        # A tie between a name ("Văn Tư") and the plain word ("đầu tư") is the plain word.
        if case != "lower" and votes.get("lower", 0) == count:
            return "lower"
        return case


def _in_name(paragraph: str, ends: list[int], i: int) -> bool:
    """Whether word ``i`` of a split paragraph is capitalised mid-sentence (part of a name)."""
    word = paragraph[ends[i - 1] : ends[i]]
    if not word[:1].isupper():
        return False
    return not (i == 1 or paragraph[ends[i - 2] : ends[i - 1]].strip().endswith(_SENTENCE_END))


def case_of(word: str) -> str:
    if len(word) > 1 and word.isupper():
        return "upper"
    return "title" if word[:1].isupper() else "lower"
