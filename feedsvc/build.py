"""`feedsvc build OUTDIR`: the service's documents as static files, for nginx or a CDN."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path
from urllib.parse import unquote

from feedsvc.corpus.listings import ALL, AUTHOR
from feedsvc.publishing.formats import NAMES
from feedsvc.publishing.paging import page_count
from feedsvc.publishing.site import article_path, category_path, feed_path, with_query

_OPML = "/feeds.opml"


def run_build(outdir: Path, config: dict, *, base_url: str | None = None, out=None) -> int:
    """Write every feed page, the OPML list and every HTML page, each with a .gz sibling."""
    out = out or sys.stdout
    base_url = (base_url or str(config["BASE_URL"])).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        print("feedsvc build: give --base-url or FEEDSVC_BASE_URL (feeds need absolute self links)", file=sys.stderr)
        return 2
    from feedsvc.web.app import create_app

    app = create_app({"BASE_URL": base_url, "BACKGROUND_LOAD": False, "RELOAD_INTERVAL": 0})
    client = app.test_client()
    written = 0
    for url in urls(app):
        with client.get(url) as response:  # closed: a static file is served from an open file
            status, data = response.status_code, response.data
        if status != 200:
            print(f"feedsvc build: {url} answered {status}", file=sys.stderr)
            return 1
        target = outdir / _file_name(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        Path(str(target) + ".gz").write_bytes(gzip.compress(data, 9, mtime=0))
        written += 1
    print(f"wrote {written} documents (and .gz siblings) to {outdir}", file=out)
    return 0


def urls(app) -> list[str]:
    """Every URL the service answers with 200 for default parameters, paged feeds and pages
    included; searches are the only documents a static copy cannot have."""
    service = app.extensions["feedsvc"]
    repo = service.catalog
    size = service.publisher.site.default_limit
    found = ["/", "/feeds", "/favicon.ico", _OPML] + [f"{_OPML}?format={fmt}" for fmt in NAMES if fmt != "rss"]
    found += [f"/static/{path.name}" for path in sorted(Path(app.static_folder).iterdir()) if path.is_file()]
    listings = [(ALL, repo.count())] + [(s, n) for s, _, n in repo.categories()]
    listings += [(AUTHOR + s, n) for s, _, n in repo.authors()]
    for slug, count in listings:
        pages = page_count(count, size)
        numbers = [n if n > 1 else None for n in range(1, pages + 1)]
        for fmt in NAMES:
            found += [with_query(feed_path(slug, fmt), None, n) for n in numbers]
        found += [with_query(category_path(slug) if slug else "/articles", None, n) for n in numbers]
    found += [article_path(article.id) for article in repo.all_articles()]
    return found


def _file_name(url: str) -> str:
    # "/" -> index.html; "/feeds" and "/articles" are folders too, so their pages are .html
    # files; a query stays in the name ("all.rss?page=2", "articles.html?page=2"), which nginx
    # finds with `try_files $uri$is_args$args` (see the README).
    path = unquote(url)
    if path == "/":
        return "index.html"
    for page in ("/feeds", "/articles"):
        if path == page or path.startswith(page + "?"):
            return page.lstrip("/") + ".html" + path[len(page):]
    return path.lstrip("/")
