"""The article record every other module works with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class ArticleParseError(Exception):
    """A file that cannot become an article; carries the path and the reason."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Article:
    """One parsed article. ``id`` is the file name without ``.txt`` and never changes."""

    id: str
    title: str
    category: str | None
    category_slug: str | None
    authors: tuple[str, ...]
    body: tuple[str, ...]
    summary: str
    published: datetime | None
    date_precision: str | None  # "day", "month" or None
    warnings: tuple[str, ...] = field(default=())
    source: str | None = None  # a credited agency such as "TTXVN"

    def to_json(self) -> dict[str, object]:
        """The `check --json` record: exactly these keys, in this order."""
        return {
            "id": self.id,
            "title": self.title,
            "category": self.category,
            "category_slug": self.category_slug,
            "published": self.published.isoformat() if self.published else None,
            "date_precision": self.date_precision,
            "authors": list(self.authors),
            "summary": self.summary,
            "warnings": list(self.warnings),
        }
