"""Every failure becomes one HTTP answer here: a status and a one-line reason, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from feedsvc.corpus.catalog import UnknownArticle, UnknownCategory
from feedsvc.publishing.paging import PageOutOfRange

log = logging.getLogger(__name__)


class BadParameter(ValueError):
    """A query parameter the service cannot use."""


class NotReady(RuntimeError):
    """The first index load has not finished."""


def plain(status: int, reason: str, headers: dict | None = None) -> Response:
    """A short text/plain answer: the status line's words and the reason."""
    text = " ".join(reason.split())[:300]
    return Response(f"{status}: {text}\n", status=status, headers=headers, mimetype="text/plain")


def register(app: Flask) -> None:
    """Install the handlers that map exceptions to statuses."""

    @app.errorhandler(UnknownCategory)
    @app.errorhandler(UnknownArticle)
    @app.errorhandler(PageOutOfRange)
    def not_found(exc):
        return plain(404, str(exc))

    @app.errorhandler(BadParameter)
    def bad_parameter(exc):
        return plain(400, str(exc))

    @app.errorhandler(NotReady)
    def not_ready(exc):
        return plain(503, str(exc), {"Retry-After": "5"})

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        response = plain(exc.code or 500, exc.description or exc.name)
        allowed = getattr(exc, "valid_methods", None)
        if exc.code == 405 and allowed:
            response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unhandled error")
        return plain(500, "internal error; it has been logged")
