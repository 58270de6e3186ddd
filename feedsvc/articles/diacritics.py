"""Put Vietnamese diacritics back on an unaccented caps title, from the article's own words."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache
from itertools import accumulate
from importlib import resources

from feedsvc.articles import text

# Words repeat across a corpus; folding each spelling once is most of the saving.
fold = lru_cache(maxsize=1 << 16)(text.fold)

_WORD = re.compile(r"[^\W_]+", re.U)
_WORDS_AND_GAPS = re.compile(r"([^\W_]+)")  # split: gap, word, gap, word, …, gap
_SENTENCE_END = (".", "!", "?", ":", ";", "–", "-", "(", "“", '"')
# Tokens found nowhere that still keep their capitals: Roman numerals ("XII") and
# acronyms without a vowel ("HTX"); other unknown words read as ordinary words.
# Closed-class words a headline uses on their own ("… thu nhập khá TỪ cây mắc ca").
# Their unaccented spelling is ambiguous ("tu": từ, tư, tự, tử), and a one-word match in
# the article carries no context: it is often part of a name or a compound ("Nguyễn Văn
# Tư", "đầu tư"). So a caps word the article only matches alone, or not at all, is read
# as one of these; a longer phrase the article uses ("đầu tư", "cửa khẩu") still wins.
FUNCTION_WORDS: tuple[str, ...] = (
    "từ", "của", "và", "với", "các", "những", "để", "tại", "cho", "về", "đến", "được",
    "là", "có", "theo", "khi", "trên", "dưới", "sau", "trước",
)
_KEEP_CAPS = re.compile(r"^(?:M{0,3}(?:C[MD]|D?C{0,3})(?:X[CL]|L?X{0,3})(?:I[XV]|V?I{0,3})|[B-DF-HJ-NP-TV-XZ]{2,})$")


class _Usage:
    """How a text spells and capitalises each folded word, and in what order.

    ``keys`` has one folded word a position and "" where a run of words is broken (the
    end of a paragraph, or in :meth:`for_title` a stretch of words the title lacks).
    """

    def __init__(self):
        self.keys: list[str] = []
        self.forms: dict[int, str] = {}
        self.sentence_starts: set[int] = set()
        self.positions: dict[str, list[int]] = defaultdict(list)
        self.spellings: dict[str, Counter] = defaultdict(Counter)
        self.case_votes: dict[str, Counter] = defaultdict(Counter)

    @classmethod
    def of_lines(cls, lines: list[str]) -> "_Usage":
        """Every word of every line, each voting on its case (the lexicon: no sentences)."""
        usage = cls()
        for line in lines:
            # Folded one character for one, so a match in the folded text is also
            # the span of the word as written.
            for match in _WORD.finditer(text.fold_chars(line)):
                usage._record(match.group(), line[match.start() : match.end()], sentence_start=False)
            usage.keys.append("")  # runs never cross a line
        return usage

    @classmethod
    def for_title(cls, paragraphs: list[str], keys: list[str], wanted: frozenset) -> "_Usage":
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
            hits = [i for i in range(1, len(parts), 2) if parts[i] in title_keys]
            ends = list(accumulate(map(len, parts))) if hits else []
            previous = -1
            for i in hits:
                if i != previous + 2:
                    usage.keys.append("")  # other words in between
                key = parts[i]
                if key in wanted:
                    # Sentence-initial capitals say nothing about a word's case.
                    opens = i == 1 or paragraph[ends[i - 2] : ends[i - 1]].strip().endswith(_SENTENCE_END)
                    usage._record(key, paragraph[ends[i - 1] : ends[i]], sentence_start=opens)
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
            self.case_votes[word.lower()][_case_of(word)] += 1

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


def _load_lexicon() -> tuple[_Usage, dict[str, str]]:
    # Fallback for words the article never uses: proper names as written, then the
    # commonest spelling of each syllable in Vietnamese news text (lexicon.txt).
    raw = resources.files(__package__).joinpath("lexicon.txt").read_text("utf-8")
    lines = [line for line in raw.splitlines() if line and not line.startswith("#")]
    # One syllable alone is spelled from the syllable list, never from part of a
    # name: "nang" is "năng", not the "Nẵng" of Đà Nẵng; "bo" is "bộ", not "Bờ Y".
    syllables: dict[str, str] = {}
    for line in lines:
        if " " not in line and line.islower():
            syllables.setdefault(fold(line), line)
    return _Usage.of_lines(lines), syllables


LEXICON, SYLLABLES = _load_lexicon()
_FUNCTION_KEYS = {fold(word): word for word in FUNCTION_WORDS}


def restore(caps_line: str, paragraphs: list[str]) -> tuple[str, list[str]]:
    """'KON TUM TIEP TUC …' -> ('Kon Tum tiếp tục …', words found nowhere)."""
    tokens = _WORD.findall(caps_line)
    keys = [fold(t) for t in tokens]
    body = _Usage.for_title(paragraphs, keys, frozenset(k for k, t in zip(keys, tokens) if t.isascii()))
    spelled: list[str] = []
    cases: list[str | None] = []  # the case a run of words has where the text uses it
    unknown: list[str] = []
    i = 0
    while i < len(keys):
        if not tokens[i].isascii():
            spelled.append(tokens[i].lower())  # accented capitals already spell the word
            cases.append(None)
            i += 1
            continue
        # The longest phrase the article uses spells its words in context
        # ("kinh tế động lực"); only then the lexicon's phrases and syllables.
        for usage in (body, LEXICON):
            length, pos = usage.longest_run(keys, i)
            if length <= 1 and keys[i] in _FUNCTION_KEYS and LEXICON.longest_run(keys, i)[0] <= 1:
                length = 1
                spelled.append(_FUNCTION_KEYS[keys[i]])
                cases.append("lower")
                break
            if length:
                length = next((n for n in range(1, length) if not tokens[i + n].isascii()), length)
                if length == 1 and usage is LEXICON and keys[i] in SYLLABLES:
                    spelled.append(SYLLABLES[keys[i]])
                    cases.append("lower")
                elif length == 1:
                    spelled.append(usage.spellings[keys[i]].most_common(1)[0][0])
                    cases.append(None)
                else:
                    # The article's own phrase keeps its case, and so does a whole name
                    # of the lexicon; a part of one ("Thành phố" of "Thành phố Hồ …") does not.
                    starts_line = pos == 0 or not usage.keys[pos - 1]
                    whole_name = usage is LEXICON and starts_line and not usage.keys[pos + length]
                    for at in range(pos, pos + length):
                        form = usage.forms[at]
                        spelled.append(form.lower())
                        in_context = usage is body and at not in usage.sentence_starts
                        cases.append(_case_of(form) if in_context or whole_name else None)
                break
        else:
            length = 1
            spelled.append(tokens[i].lower())
            cases.append("upper" if _KEEP_CAPS.match(tokens[i]) else None)
            if tokens[i].isalpha() and not _KEEP_CAPS.match(tokens[i]):
                unknown.append(tokens[i])
        i += length
    words = [
        _apply_case(word, case or body.casing(word) or LEXICON.casing(word)) for word, case in zip(spelled, cases)
    ]
    return _rebuild(caps_line, tokens, words), unknown


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
