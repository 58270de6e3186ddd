"""Paging maths, in one place: how many pages a listing has, and a page past the last."""

from __future__ import annotations

import math


class PageOutOfRange(LookupError):
    """A ``page`` past the last page of a listing."""

    def __init__(self, page: int, last: int):
        super().__init__(f"page {page} is past the last page ({last})")
        self.page, self.last = page, last


def page_count(total: int, size: int) -> int:
    """Pages of ``size`` items needed for ``total`` items: at least one, even for nothing."""
    return max(1, math.ceil(total / size))


def check_page(number: int, total: int, size: int) -> int:
    """The last page number, or :class:`PageOutOfRange` when ``number`` is past it."""
    last = page_count(total, size)
    if number > last:
        raise PageOutOfRange(number, last)
    return last
