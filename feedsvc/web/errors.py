"""Every failure becomes one HTTP answer here: a status and a reason, never a traceback.

Browsers (a request that prefers text/html) get a Vietnamese page with the site's navigation;
everything else gets the status and a one-line reason in text/plain. The status codes are the same.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from feedsvc.corpus.catalog import UnknownArticle, UnknownCategory
from feedsvc.corpus.search import SearchNotReady
from feedsvc.publishing.paging import PageOutOfRange

log = logging.getLogger(__name__)

# status -> (heading, what a reader can do), in the site's language.
PAGES = {
    400: ("Yêu cầu không hợp lệ", "Địa chỉ hoặc tham số của trang không đúng. Hãy kiểm tra lại đường dẫn; nếu bạn"
                                  " đang tìm kiếm, hãy gõ từ 1 đến 200 ký tự, có chữ hoặc số."),
    404: ("Không tìm thấy trang", "Trang bạn tìm không có hoặc đã được gỡ. Hãy thử tìm kiếm, hoặc xem tất cả bài."),
    405: ("Không hỗ trợ thao tác này", "Trang này chỉ để đọc: hãy mở nó bằng trình duyệt hoặc ứng dụng đọc tin."),
    414: ("Địa chỉ quá dài", "Hãy rút ngắn đường dẫn rồi thử lại."),
    503: ("Hệ thống đang nạp dữ liệu", "Các bài viết đang được nạp. Vui lòng tải lại trang sau ít giây."),
}
GENERIC = ("Đã có lỗi xảy ra", "Lỗi đã được ghi lại. Vui lòng thử lại sau.")


class BadParameter(ValueError):
    """A query parameter the service cannot use."""


class NotReady(RuntimeError):
    """The first index load has not finished."""


def plain(status: int, reason: str, headers: dict[str, str] | None = None) -> Response:
    """The answer to a failure: a Vietnamese HTML page for a browser, else ``NNN: reason`` in text/plain."""
    text = " ".join(reason.split())[:300]
    if _wants_html():
        heading, explanation = PAGES.get(status, GENERIC)
        try:
            site = current_app.extensions["feedsvc"].get().publisher.site
            page = render_template("error.html", site=site, feeds=[], status=status, reason=text, heading=heading,
                                   explanation=explanation)
            return Response(page, status=status, headers=headers, mimetype="text/html")
        except Exception:  # an error page must never fail: plain text instead
            log.exception("cannot render the error page")
    return Response(f"{status}: {text}\n", status=status, headers=headers, mimetype="text/plain")


def _wants_html() -> bool:
    # A browser sends "text/html,...,*/*;q=0.8"; curl and feed readers send "*/*" or feed types,
    # for which text/plain (listed first) wins.
    try:
        return request.accept_mimetypes.best_match(["text/plain", "text/html"]) == "text/html"
    except RuntimeError:  # outside a request
        return False


def register(app: Flask) -> None:
    """Install the handlers that map exceptions to statuses."""

    @app.errorhandler(UnknownCategory)
    @app.errorhandler(UnknownArticle)
    @app.errorhandler(PageOutOfRange)
    def not_found(exc: LookupError) -> Response:
        return plain(404, str(exc))

    @app.errorhandler(BadParameter)
    def bad_parameter(exc: BadParameter) -> Response:
        return plain(400, str(exc))

    @app.errorhandler(NotReady)
    @app.errorhandler(SearchNotReady)
    def not_ready(exc: RuntimeError) -> Response:
        return plain(503, str(exc), {"Retry-After": "5"})

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        response = plain(exc.code or 500, exc.description or exc.name)
        allowed = getattr(exc, "valid_methods", None)
        if exc.code == 405 and allowed:
            response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return plain(500, "internal error; it has been logged")
