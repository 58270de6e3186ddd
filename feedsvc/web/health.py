"""/healthz: whether this worker serves, what it serves, and what it could not."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from feedsvc.web.guard import service

bp = Blueprint("health", __name__)
SKIPPED_SHOWN = 100  # the rest is counted: 20,000 unreadable files must not make a 1 MB answer
_shown: tuple[object, list[dict[str, str]]] = (None, [])  # (the skipped dict it was made from, the list)


def _skipped_list(skipped: dict[str, str]) -> list[dict[str, str]]:
    """The first files skipped, by name: made again only when the catalog's dict is replaced."""
    global _shown
    made_from, found = _shown
    if made_from is not skipped:
        found = [{"file": name, "reason": skipped[name]} for name in sorted(skipped)[:SKIPPED_SHOWN]]
        _shown = (skipped, found)
    return found


@bp.get("/healthz")
def healthz() -> Response:
    svc = service()
    catalog = svc.catalog
    ready = catalog.ready.is_set()
    problem = catalog.problem
    skipped = catalog.skipped
    response = jsonify(
        status="error" if problem else "ok" if ready else "loading",
        problem=problem,
        articles=len(catalog),
        categories={slug: count for slug, _, count in catalog.categories()},
        corpus_version=catalog.version(),
        search="ready" if ready and not catalog.search_behind() else "loading",
        skipped_count=len(skipped),
        skipped=_skipped_list(skipped),
    )
    response.headers["Cache-Control"] = "no-store"
    if problem or not ready:
        # A monitor sees 503 when the corpus folder cannot be read (the feeds still serve what was
        # last read) and while the first load runs.
        response.status_code = 503
        response.headers["Retry-After"] = "5"
    return response
