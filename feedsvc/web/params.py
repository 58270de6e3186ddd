"""Query parameters: read strictly, refused with a one-line reason."""

from __future__ import annotations

from flask import current_app, request

from feedsvc.web.errors import BadParameter


def int_arg(name: str, low: int, high: int | None) -> int | None:
    """A whole-number parameter given at most once, within [low, high]; None when absent."""
    values = request.args.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadParameter(f"{name} is given {len(values)} times; give it once")
    raw = values[0]
    top = f" to {high}" if high else " or more"
    # ASCII digits only: str.isdigit() also passes "²" (int() then fails) and "١" (not canonical).
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise BadParameter(f"{name} must be a whole number from {low}{top}, not {raw[:40]!r}")
    value = int(raw)
    if value < low or (high is not None and value > high):
        raise BadParameter(f"{name} must be a whole number from {low}{top}, not {value}")
    return value


def paging() -> tuple[int | None, int | None]:
    """``limit`` (1…max) and ``page`` (1…) as given, or None where absent."""
    if not request.environ.get("QUERY_STRING"):
        return None, None  # the usual poll: nothing to parse
    return int_arg("limit", 1, int(current_app.config["MAX_LIMIT"])), int_arg("page", 1, None)


def choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    """A parameter that must be one of ``allowed``."""
    value = request.args.get(name, default)
    if value not in allowed:
        raise BadParameter(f"{name} must be one of {', '.join(allowed)}, not {value[:40]!r}")
    return value
