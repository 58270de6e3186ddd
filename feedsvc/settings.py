"""Every setting, in one table: name, default, meaning. Read from FEEDSVC_* variables."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

PREFIX = "FEEDSVC_"
# The sample corpus: inside the package when installed from a wheel (pyproject.toml maps seeds/ to
# feedsvc/seeds), beside it in a checkout or an editable install.
BUNDLED_SEEDS = next((path for path in (Path(__file__).resolve().parent / "seeds",
                                        Path(__file__).resolve().parent.parent / "seeds") if path.is_dir()),
                     Path(__file__).resolve().parent.parent / "seeds")


class SettingError(ValueError):
    """A FEEDSVC_* variable holds a value the service cannot use."""


@dataclass(frozen=True)
class Setting:
    name: str  # without the FEEDSVC_ prefix
    default: object
    help: str
    parse: Callable[[str], object] = str
    shown_default: str | None = None  # how the README shows a computed default


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("must be a whole number") from None


def _positive(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise ValueError("must be 1 or more")
    return value


def _whole_not_negative(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def _not_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("must be a number of seconds") from None
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def _hops(text: str) -> int:
    value = _whole(text)
    if not 0 <= value <= 10:
        raise ValueError("must be between 0 and 10")
    return value


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace("|", ";").split(";") if part.strip())


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
        raise ValueError("must be 1 or 0 (or true/false, yes/no, on/off)")
    return value in ("1", "true", "yes", "on")


def _urls(text: str) -> tuple[str, ...]:
    urls = tuple(text.split())
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r} must start with http:// or https://")
    return urls


def _log_format(text: str) -> str:
    value = text.strip().lower()
    if value not in ("text", "json"):
        raise ValueError("must be text or json")
    return value


def _base_url(text: str) -> str:
    text = text.strip().rstrip("/")
    if text and not text.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return text


SETTINGS: tuple[Setting, ...] = (
    Setting("CORPUS_DIR", str(BUNDLED_SEEDS), "Folder of exported `.txt` articles to publish.",
            shown_default="the bundled `seeds/`"),
    Setting("BASE_URL", "", "Public base URL, e.g. `https://feeds.example.org`. Empty: taken from each "
            "request (with `X-Forwarded-*` only as far as `FEEDSVC_PROXY_HOPS` allows).", _base_url,
            shown_default="empty (from the request)"),
    Setting("SITE_TITLE", "Đài Phát thanh - Truyền hình Kon Tum", "Site title, used in every feed and page."),
    Setting("SITE_DESCRIPTION", "Tin tức từ kontumtv.vn", "Site description for the feeds."),
    Setting("TAG_AUTHORITY", "kontumtv.vn,2021", "Authority and date of the `tag:` URIs that identify "
            "feeds and items (RFC 4151). Never change it once feeds are public."),
    Setting("DEFAULT_LIMIT", 50, "Items in a feed when the request gives no `limit`.", _positive),
    Setting("MAX_LIMIT", 200, "Largest `limit` a request may ask for.", _positive),
    Setting("MAX_AGE", 300, "Seconds in `Cache-Control: public, max-age`; feeds' `<ttl>` is this in minutes.",
            _positive),
    Setting("RELOAD_INTERVAL", 5.0, "Seconds between scans of the corpus folder when it cannot be watched for "
            "file events (no inotify, a network filesystem); 0 turns watching and scanning off.", _not_negative),
    Setting("RESCAN_INTERVAL", 300.0, "Seconds between full scans of a watched corpus folder: a safety net for "
            "file events the kernel dropped. Changes arrive through the events within a second.", _not_negative),
    Setting("WEBSUB_HUBS", (), "WebSub hubs to advertise on every feed (`Link: <hub>; rel=\"hub\"`, "
            "`<atom:link rel=\"hub\">`, JSON Feed `hubs`) and to ping when a feed changes, separated by spaces; "
            "empty turns WebSub off. Needs `FEEDSVC_BASE_URL`: hubs fetch the feeds' self URLs.", _urls,
            shown_default="empty (off)"),
    Setting("WEBSUB_PINGS", True, "Whether this instance sends the publish pings. With several instances on one "
            "corpus, leave it on in exactly one (hubs do not deduplicate pings).", _flag, shown_default="1"),
    Setting("LOG_FORMAT", "text", "`text` (one readable line each) or `json` (one JSON object each: time, level, "
            "logger, pid, message, request_id and, for requests, method, path, status, bytes, duration_ms).",
            _log_format),
    Setting("METRICS_TOKEN", "", "Turns on `/metrics` (Prometheus text format, every worker in one view) for "
            "requests with `Authorization: Bearer <this token>`; empty: `/metrics` is a 404.",
            shown_default="empty (off)"),
    Setting("PROXY_HOPS", 0, "How many proxies in front of the app to trust for `X-Forwarded-For/Proto/"
            "Host/Port`. 0 trusts none; 1 suits a PaaS router.", _hops),
    Setting("CATEGORIES", (), "Extra section names to recognise in headers, separated by `;`.", _names,
            shown_default="empty (the ten kontumtv.vn sections)"),
    Setting("INDEX_PATH", "", "SQLite parse index file. Empty: `index-<hash>.sqlite3` in the Flask instance "
            "folder; `memory`: no file.", shown_default="empty (instance folder)"),
    Setting("MAX_FILE_BYTES", 2 * 1024 * 1024, "Article files larger than this are skipped and reported.",
            _positive),
    Setting("CACHE_BYTES", 64 * 1024 * 1024, "Bytes of rendered documents (both codings) kept per worker; the "
            "least recently used go first. Search results have an eighth of it to themselves.", _positive),
    Setting("STALE_WHILE_REVALIDATE", 60, "Seconds a shared cache (CDN, Varnish) may serve a feed past `max-age` "
            "while it fetches a fresh one (`Cache-Control: stale-while-revalidate`, RFC 5861); 0 leaves it out.",
            _whole_not_negative),
    Setting("STALE_IF_ERROR", 86400, "Seconds a shared cache may keep serving a feed when the service is down "
            "or failing (`Cache-Control: stale-if-error`, RFC 5861); 0 leaves it out.", _whole_not_negative),
)


def load(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """Defaults overlaid with FEEDSVC_* variables, parsed. Raises :class:`SettingError`."""
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for setting in SETTINGS:
        raw = environ.get(PREFIX + setting.name)
        if raw is None:
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise SettingError(f"{PREFIX}{setting.name}={raw!r}: {exc}") from None
    return values
