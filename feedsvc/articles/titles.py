"""The title of a file without a header: the line above the lead, its caps line with the
diacritics put back, or else the lead's first sentence."""

from __future__ import annotations

import re

from feedsvc.articles import byline, diacritics
from feedsvc.articles.datelines import LEAD_DATELINE, SITE_PREFIX
from feedsvc.articles.messages import say
from feedsvc.articles.text import HAS_LETTER, clip

_CAPS_SCAN = 4  # a headerless title sits among the first few lines
_SENTENCE_END = (".", "!", "?", ";", ",", ":", "…", "/.")


def headline(paragraphs: list[str], warnings: list[str]) -> str | None:
    """A headerless file's first line when it reads as a headline above the lead."""
    if len(paragraphs) < 3:
        return None
    first, lead = paragraphs[0], paragraphs[1]
    if not (SITE_PREFIX.match(lead) or LEAD_DATELINE.match(lead)) or SITE_PREFIX.match(first):
        return None
    if len(first) > 300 or len(first.split()) < 4 or first.endswith(_SENTENCE_END) or _is_caps(first):
        return None
    if byline.read_byline(first) is not None or first.startswith(("Ảnh", "(")):
        return None
    warnings.append(say("headline_guess", line=repr(clip(first, 100))))
    return paragraphs.pop(0)


def caps_lines(paragraphs: list[str]) -> tuple[str | None, set[str]]:
    """(title candidate, lines the body drops): caps lines are captions or a title."""
    # Unaccented capitals are image captions or a title made from a file name, so
    # the body never keeps them; only one among the first lines can be the title.
    candidate = next((line for line in paragraphs[:_CAPS_SCAN] if _is_caps(line)), None)
    dropped = {line for line in paragraphs if line.isascii() and _is_caps(line)}  # isascii first: cheap
    if candidate:
        dropped.add(candidate)
    return candidate, dropped


def restored_title(caps: str, body: list[str], warnings: list[str]) -> str:
    """The caps line with its diacritics put back from the body's words (see :mod:`diacritics`)."""
    # Only the words worth an editor's eye are named: a restored title whose every
    # word the article, a name list or the word list spells is not a guess.
    restored = diacritics.restore(caps, body)
    if restored.guessed:
        guesses = ", ".join(f"{w.caps} → {w.word}" for w in restored.guessed)
        warnings.append(say("title_guess", words=guesses, line=repr(caps)))
    if restored.unknown:
        warnings.append(say("title_unknown", words=", ".join(restored.unknown)))
    return restored.title


def title_from_lead(lead: str, warnings: list[str]) -> str:
    """The lead's first sentence, without its dateline: the last resort."""
    warnings.append(say("title_from_lead"))
    sentence = LEAD_DATELINE.sub("", SITE_PREFIX.sub("", lead))
    sentence = re.split(r"(?<=[.!?])\s", sentence, maxsplit=1)[0].rstrip(".")
    sentence = sentence[:1].upper() + sentence[1:]
    return clip(sentence if HAS_LETTER.search(sentence) else lead, 120)


def _is_caps(line: str) -> bool:
    if len(line) > 300 or line != line.upper() or " " not in line:
        return False
    return sum(map(str.isalpha, line)) >= 6  # counted in C
