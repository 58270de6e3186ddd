"""How a text spells and capitalises each (folded) word, and in what order: what the title restorer
matches a caps title against (the article itself, or the lexicon of names)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from itertools import compress, count
from operator import itemgetter

from feedsvc.articles import folding

WORD = re.compile(r"[^\W_]+", re.U)
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
        self.spellings: dict[str, dict[str, int]] = {}  # key -> lower-case spelling -> count, first seen first
        self.case_votes: dict[str, dict[str, int]] = {}  # lower-case spelling -> "lower", "title", "upper" -> count

    @classmethod
    def of_lines(cls, lines: list[str]) -> Usage:
        """Every word of every line, each voting on its case (the lexicon: no sentences)."""
        usage = cls()
        for line in lines:
            # Folded one character for one, so a match in the folded text is also
            # the span of the word as written.
            for match in WORD.finditer(folding.fold_chars(line)):
                usage._record(match.group(), line[match.start() : match.end()], sentence_start=False)
            usage.keys.append("")  # runs never cross a line
        return usage

    @classmethod
    def for_title(cls, paragraphs: list[str], keys: list[str], wanted: frozenset[str]) -> Usage:
        """The words of ``paragraphs`` a title's ``keys`` can match; ``wanted`` ones are recorded.

        Runs only ever match the title's words, so no other word needs a position: a
        stretch of them is one "" that breaks the run.
        """
        usage = cls()
        title_keys = frozenset(keys)
        looked_at = title_keys | {_OTHER}
        for paragraph in paragraphs:
            for key, start, after_title_word in _title_words(paragraph, title_keys, looked_at):
                if not after_title_word:
                    usage.keys.append("")  # other words in between
                if key in wanted:
                    opens, inside = _capitals_say_nothing(paragraph, start, after_title_word)
                    usage._record(key, paragraph[start : start + len(key)], sentence_start=opens or inside)
                    if inside:
                        usage.inside_names.add(len(usage.keys) - 1)
                else:
                    usage.keys.append(key)
            usage.keys.append("")  # runs never cross a paragraph
        return usage

    def _record(self, key: str, word: str, *, sentence_start: bool) -> None:
        position = len(self.keys)
        self.keys.append(key)
        self.positions[key].append(position)
        self.forms[position] = word
        lower = word.lower()
        spellings = self.spellings.get(key)
        if spellings is None:
            self.spellings[key] = {lower: 1}
        else:
            spellings[lower] = spellings.get(lower, 0) + 1
        if sentence_start:
            self.sentence_starts.add(position)
            return
        case = case_of(word)
        votes = self.case_votes.get(lower)
        if votes is None:
            self.case_votes[lower] = {case: 1}
        else:
            votes[case] = votes.get(case, 0) + 1

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
        case, count = max(votes.items(), key=itemgetter(1))  # the commonest (the first, on a tie)
        # A tie between a name ("Văn Tư") and the plain word ("đầu tư") is the plain word.
        if case != "lower" and votes.get("lower", 0) == count:
            return "lower"
        return case


# A paragraph is cut at its spaces (in C), and each piece between two spaces looked up here:
# one whose only word opens it ("tiếp", "Tum,") by that word folded, one with no word ("–") by
# "", any other ("(kontumtv.vn)", "5/10", "Kon-Tum") by _OTHER, which no word is (words have no
# spaces), and is looked at in Python. Cleared when full: pieces repeat, but not without end.
_OTHER = " "
_PIECE_KEYS: dict[str, str] = {}
_OTHER_WORDS: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {}  # the _OTHER pieces' keys and starts
_PIECES_MAX = 1 << 14


def _piece_key(piece: str) -> str:
    if len(_PIECE_KEYS) >= _PIECES_MAX:
        _PIECE_KEYS.clear()
        _OTHER_WORDS.clear()
    keys, starts = _words_of(piece)
    if len(keys) == 1 and not starts[0]:
        key = keys[0]
    elif keys:
        key = _OTHER
        _OTHER_WORDS[piece] = keys, starts
    else:
        key = ""
    _PIECE_KEYS[piece] = key
    return key


def _words_of(piece: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The folded words of a piece and where each starts in it."""
    # Folded one character for one: a word's folded offsets are its offsets as written.
    matches = list(WORD.finditer(folding.fold_chars(piece)))
    return tuple(m.group() for m in matches), tuple(m.start() for m in matches)


def _title_words(
    paragraph: str, title_keys: frozenset[str], looked_at: frozenset[str]
) -> Iterator[tuple[str, int, bool]]:
    """(key, start, whether the word before is one too, or there is none) of each word of the
    paragraph whose folded spelling is one of ``title_keys``, in order. ``looked_at``: the
    title's keys and _OTHER."""
    pieces = paragraph.split(" ")
    try:
        found = list(map(_PIECE_KEYS.__getitem__, pieces))
    except KeyError:  # pieces not seen yet
        found = [key if (key := _PIECE_KEYS.get(piece)) is not None else _piece_key(piece) for piece in pieces]
    hits = list(compress(count(), map(looked_at.__contains__, found)))
    # Where piece t starts is counted up to the hits only (a few in a hundred pieces).
    at, counted = 0, 0  # piece `counted` starts at `at`
    last, last_n, last_final = -1, 0, True  # the piece and word last given, and whether it ended the piece
    for t in hits:
        at += sum(map(len, pieces[counted:t])) + t - counted
        counted = t
        key = found[t]
        if key is not _OTHER:
            # The word before is the title's when no word stands between the two.
            yield key, at, last_final and not any(found[last + 1 : t])
            last, last_n, last_final = t, 0, True
            continue
        words, starts = _OTHER_WORDS.get(pieces[t]) or _words_of(pieces[t])
        if title_keys.isdisjoint(words):
            continue
        for n, word in enumerate(words):
            if word in title_keys:
                after = last_final and not any(found[last + 1 : t]) if n == 0 else last == t and last_n == n - 1
                yield word, at + starts[n], after
                last, last_n, last_final = t, n, n == len(words) - 1


def _capitals_say_nothing(paragraph: str, start: int, after_title_word: bool) -> tuple[bool, bool]:
    """(whether the word at ``start`` opens a sentence, whether it sits inside a longer name).

    Sentence-initial capitals say nothing about a word's case, and neither do those of a
    word inside a longer name: "môi trường" is capitalised in "Ngày Môi trường thế giới"
    only because the name starts with "Ngày" (a capitalised word the title lacks).
    """
    if start > 1 and paragraph[start - 1] == " " and paragraph[start - 2].isalnum():
        gap = start - 1  # most words: one space after another word, no sentence ends there
    else:
        gap = _gap_start(paragraph, start)
        if gap == 0 or paragraph[gap:start].strip().endswith(_SENTENCE_END):
            return True, False
    if after_title_word:
        return False, False
    word = paragraph.rfind(" ", 0, gap) + 1  # the word before, most often a whole piece
    if not paragraph[word:gap].isalnum():
        word = gap
        while word and paragraph[word - 1].isalnum():  # [^\W_] is str.isalnum
            word -= 1
    if not paragraph[word].isupper():
        return False, False
    before = _gap_start(paragraph, word)
    return False, not (before == 0 or paragraph[before:word].strip().endswith(_SENTENCE_END))


def _gap_start(paragraph: str, start: int) -> int:
    """Where the gap before the word at ``start`` begins: the previous word's end, or 0."""
    while start and not paragraph[start - 1].isalnum():
        start -= 1
    return start


def case_of(word: str) -> str:
    if len(word) > 1 and word.isupper():
        return "upper"
    return "title" if word[:1].isupper() else "lower"
