"""Split an unaccented caps title into the pieces that spell it best: a phrase of the article, a
name of the lexicon, a word of the word list, or one word; every piece with a confidence."""

from __future__ import annotations

import re
from operator import itemgetter, ne
from typing import NamedTuple

from feedsvc.articles.folding import fold_word as fold
from feedsvc.articles.lexicon import LEXICON, SYLLABLES
from feedsvc.articles.usage import Usage, case_of
from feedsvc.articles.wordlist import WordList

# Closed-class words a headline uses on their own ("… thu nhập khá TỪ cây mắc ca").
# Their unaccented spelling is ambiguous ("tu": từ, tư, tự, tử), and a one-word match in
# the article carries no context: it is often part of a name or a compound ("Nguyễn Văn
# Tư", "đầu tư"). So a caps word the article only matches alone, or not at all, is read
# as one of these; a longer phrase the article uses ("đầu tư", "cửa khẩu") still wins.
FUNCTION_WORDS: tuple[str, ...] = (
    "từ", "của", "và", "với", "các", "những", "để", "tại", "cho", "về", "đến", "được",
    "là", "có", "theo", "khi", "trên", "dưới", "sau", "trước", "trong", "ở", "vào", "do", "bị",
)
# Tokens found nowhere that still keep their capitals: Roman numerals ("XII") and
# acronyms without a vowel ("HTX"); other unknown words read as ordinary words.
_KEEP_CAPS = re.compile(r"^(?:M{0,3}(?:C[MD]|D?C{0,3})(?:X[CL]|L?X{0,3})(?:I[XV]|V?I{0,3})|[B-DF-HJ-NP-TV-XZ]{2,})$")

_FUNCTION_KEYS = {fold(word): word for word in FUNCTION_WORDS}


# How sure the restorer is of a word, by where its spelling came from. Below LOW, the
# editor's report names the word: the spelling is a guess.
SURE = 1.0  # written with its diacritics already, a number, an acronym, a Roman numeral
PHRASE = 0.95  # a phrase of two or more words the article itself uses
NAME = 0.9  # a name or phrase of lexicon.txt
WORD = 0.85  # a word of the word list with one spelling, or the one news writing uses
LIKELIER_WORD = 0.6  # one of several spellings in the word list, the likelier by its syllables
ARTICLE_WORD = 0.55  # one word the article uses (spelled one way there), but not next to the title's
FUNCTION_WORD = 0.7  # a closed-class word ("từ", "cho") the article never joins to its neighbours
MOSTLY_ARTICLE_WORD = 0.45  # one word the article spells several ways ("mua", "mùa"): its commonest
TIED_WORD = 0.45  # several spellings of the word list that nothing tells apart
CONTRADICTED = 0.4  # a word of the word list whose syllable the article spells another way
SYLLABLE = 0.4  # one syllable spelled as news text most often spells it (lexicon.txt)
UNKNOWN = 0.0  # found nowhere: left without diacritics
LOW = 0.5
# Scores are in thousandths (see :func:`pieces`).
_SCORES = {c: round(c * 1000) for c in (SURE, PHRASE, NAME, WORD, LIKELIER_WORD, ARTICLE_WORD, FUNCTION_WORD,
                                         MOSTLY_ARTICLE_WORD, TIED_WORD, CONTRADICTED, SYLLABLE, UNKNOWN)}

# How a piece is spelled (see :func:`spell`).
ARTICLE, NAME_RUN, LISTED, ONE_WORD, AS_WRITTEN = "article", "name", "word", "one word", "as written"


class Piece(NamedTuple):
    """A stretch of the title's words, spelled one way."""

    length: int
    confidence: float
    how: str  # one of ARTICLE, NAME_RUN, LISTED, ONE_WORD, AS_WRITTEN
    at: int = -1  # ARTICLE, NAME_RUN: where the run starts in the article's or the lexicon's Usage
    spelled: tuple[str, ...] = ()  # LISTED, ONE_WORD: the words, in lower case
    case: str | None = None  # ONE_WORD, AS_WRITTEN: the case to write the word in


# An option: (length, confidence, how, at, spelled, case), a Piece's fields; the options that win
# become Pieces (most never do, and a tuple is cheaper to build).
_Option = tuple[int, float, str, int, tuple[str, ...], str | None]


def pieces(tokens: list[str], keys: list[str], body: Usage, words: WordList) -> list[tuple[int, Piece]]:
    """The title split into pieces, (start, piece), whose confidences add up to the most, then the
    fewest pieces.

    Pieces are a phrase of the article, a name of lexicon.txt, a word of the word list, or one
    word: "GIA TANG CAO" is "giá" + the article's "tăng cao" (0.55 + 2 * 0.95), not the word
    list's "gia tăng" + "cao"; "CHO NGUOI TRONG" is "cho" + "người trồng", not "chợ người" +
    "trong". Scores are in thousandths, so that 0.95 * 4 ties 0.95 * 2 * 2.
    """
    count = len(keys)
    runs = [body.longest_run(keys, i) for i in range(count)]
    context = _in_context(runs, body)
    stops = [0] * count  # where the stretch of unaccented words that i is in ends
    for i in range(count - 1, -1, -1):
        stops[i] = stops[i + 1] if i + 1 < count and tokens[i + 1].isascii() else i + 1
    best: list[tuple[int, int]] = [(0, 0)] + [(-1, 0)] * count  # (score, -pieces) of tokens[:i]
    back: list[tuple[int, _Option] | None] = [None] * (count + 1)  # (start, option) that got there
    phrase_score = _SCORES[PHRASE]
    for i in range(count):
        score, minus_pieces = best[i]
        # The article's phrase from i, and each of its first words (the most common pieces,
        # so they are scored here without building a piece unless one is the best so far).
        phrase, at = runs[i]
        if tokens[i].isascii():
            for length in range(2, min(phrase, stops[i] - i) + 1):
                total = (score + phrase_score * length, minus_pieces - 1)
                if total > best[i + length]:
                    best[i + length], back[i + length] = total, (i, (length, PHRASE, ARTICLE, at, (), None))
        for option in _options(i, stops[i], tokens, keys, body, words, runs[i], context):
            length = option[0]
            total = (score + _SCORES[option[1]] * length, minus_pieces - 1)
            if total > best[i + length]:
                best[i + length], back[i + length] = total, (i, option)
    chosen: list[tuple[int, Piece]] = []
    end = count
    while end:
        step = back[end]
        assert step is not None  # every position up to the end was reached (one word always fits)
        start, option = step
        chosen.append((start, Piece(*option)))
        end = start
    return chosen[::-1]


def _options(i: int, stop: int, tokens: list[str], keys: list[str], body: Usage, words: WordList,
             run: tuple[int, int], context: dict[int, str]) -> list[_Option]:
    """Every way but the article's phrases to spell tokens[i:stop] from i."""
    token = tokens[i]
    if not token.isascii():
        return [(1, SURE, AS_WRITTEN, -1, (), None)]  # accented capitals already spell the word
    room = stop - i
    phrase = run[0] if run[0] < room else room  # the article's phrases: scored by the caller
    found: list[_Option] = []
    # A name or a word of the word list no longer than the article's phrase here is less sure
    # than the phrase's first words (NAME, WORD < PHRASE): only longer ones can win.
    shortest = phrase + 1 if phrase > 1 else 2
    name, name_at = LEXICON.longest_run(keys, i) if keys[i] in LEXICON.positions else (0, -1)
    for length in range(shortest, (name if name < room else room) + 1):
        found.append((length, NAME, NAME_RUN, name_at, (), None))
    longest = words.longest if words.longest < room else room
    if shortest <= longest:
        known = words.knows
        key = " ".join(keys[i : i + shortest - 1])
        for length in range(shortest, longest + 1):
            key += " " + keys[i + length - 1]
            if known(key):
                choice, confidence = _likeliest(key, words, body)
                syllables = tuple(choice.lower().split())
                # A phrase of the article spells one of its syllables otherwise, in the title's
                # own words: "THIET HAI DO" is the article's "thiệt hại" + "do", not "hải đồ".
                if context and any(map(ne, map(context.get, range(i, i + len(syllables)), syllables), syllables)):
                    confidence = CONTRADICTED
                found.append((length, confidence, LISTED, -1, syllables, None))
    if not token.isalpha() or (not phrase and not name and _KEEP_CAPS.match(token)):
        # digits, and acronyms or Roman numerals no text spells otherwise, stay as written
        found.append((1, SURE, AS_WRITTEN, -1, (), "upper" if token.isalpha() else None))
        return found
    choice, case, confidence = _one_word(keys[i], body, phrase, words)
    found.append((1, confidence, ONE_WORD, -1, (choice,), case))
    return found


def _in_context(runs: list[tuple[int, int]], body: Usage) -> dict[int, str]:
    """How the article spells each title word that a phrase of the article covers."""
    spelled: dict[int, str] = {}
    for start, (length, at) in enumerate(runs):
        if length >= 2:
            for offset in range(length):
                spelled.setdefault(start + offset, body.forms[at + offset].lower())
    return spelled


def spell(piece: Piece, start: int, tokens: list[str], body: Usage) -> tuple[list[str], list[str | None]]:
    """(words, cases) of one chosen piece."""
    if piece.how == ARTICLE:
        return _run(body, piece.at, piece.length, in_article=True)
    if piece.how == NAME_RUN:
        return _run(LEXICON, piece.at, piece.length, in_article=False)
    if piece.how == LISTED:
        return list(piece.spelled), [None] * piece.length
    if piece.how == ONE_WORD:
        return list(piece.spelled), [piece.case]
    return [tokens[start].lower()], [piece.case]  # AS_WRITTEN


def _run(usage: Usage, at: int, length: int, *, in_article: bool) -> tuple[list[str], list[str | None]]:
    # The article's own phrase keeps its case (unless it opens a sentence or sits inside a longer
    # name), and so does a whole name of the lexicon; a part of one ("Thành phố" of "Thành phố
    # Hồ …") does not.
    starts_line = at == 0 or not usage.keys[at - 1]
    whole_name = not in_article and starts_line and length == _run_length(usage, at)
    inside_name = in_article and at in usage.inside_names
    spelled: list[str] = []
    cases: list[str | None] = []
    for position in range(at, at + length):
        form = usage.forms[position]
        spelled.append(form.lower())
        in_context = in_article and not inside_name and position not in usage.sentence_starts
        cases.append(case_of(form) if in_context or whole_name else None)
    return spelled, cases


def _run_length(usage: Usage, at: int) -> int:
    end = at
    while end < len(usage.keys) and usage.keys[end]:
        end += 1
    return end - at


def _one_word(key: str, body: Usage, in_article: int, words: WordList) -> tuple[str, str | None, float]:
    """(spelling, case, confidence) of a word no phrase covers."""
    # A closed-class word the article uses only alone, or in a name or a compound ("Văn Tư",
    # "đầu tư"), is the function word: a one-word match carries no context.
    if key in _FUNCTION_KEYS:
        return _FUNCTION_KEYS[key], "lower", FUNCTION_WORD
    if in_article:
        spellings = body.spellings[key]
        spelling = max(spellings.items(), key=itemgetter(1))[0]  # the commonest (the first, on a tie)
        return spelling, None, ARTICLE_WORD if len(spellings) == 1 else MOSTLY_ARTICLE_WORD
    if key in SYLLABLES:
        return SYLLABLES[key], "lower", SYLLABLE
    if words.spellings(key):
        choice, confidence = _likeliest(key, words, body)
        return choice.lower(), None, min(confidence, SYLLABLE)
    return key, None, UNKNOWN  # spelled as the caps line writes it


def _likeliest(key: str, words: WordList, body: Usage) -> tuple[str, float]:
    """The word list's likeliest spelling of a key, and how sure that is."""
    spellings = words.spellings(key)
    if len(spellings) == 1 or words.is_news_word(key):
        return spellings[0], WORD
    # Otherwise the spelling more of whose syllables the article writes that way, or news text
    # most often does: "phấn khởi" over "phân khối" in an article that says "khởi sắc".
    scores = [
        sum((SYLLABLES.get(fold(s)) == s) + (s in body.spellings.get(fold(s), ())) for s in spelling.lower().split())
        for spelling in spellings
    ]
    best = max(scores)
    if scores.count(best) > 1:
        return spellings[scores.index(best)], TIED_WORD
    return spellings[scores.index(best)], LIKELIER_WORD
