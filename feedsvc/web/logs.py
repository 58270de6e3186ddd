"""Log lines: text or JSON (FEEDSVC_LOG_FORMAT), each request's lines carrying its request id.

A request keeps the ``X-Request-ID`` a PaaS router sends (Heroku, Render and others do) when it is
a sane token, else gets one made here; the id is echoed in the response and named in every line
logged while the request runs, gunicorn's access line included.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
from typing import Any

from gunicorn.glogging import Logger

REQUEST_ID = contextvars.ContextVar("feedsvc_request_id", default="")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,200}$")  # uuids, hex, base64: nothing that breaks a line


def request_id_from(header: str | None) -> str:
    """The router's id when it is a sane token, else a new one (128 random bits in hex, as uuid4().hex
    but without building a UUID: 1 µs instead of 5.5, on every request)."""
    if header and _SANE_ID.match(header):
        return header
    return os.urandom(16).hex()


class RequestIdFilter(logging.Filter):
    """Gives every record ``request_id``: the current request's, empty outside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class TextFormatter(logging.Formatter):
    """``time [pid] LEVEL logger: message``; the request id after an app line, before an access line's
    message (whose combined-log format readers expect to end with the user agent)."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", "")
        if not request_id:
            return line
        if record.name == "gunicorn.access":
            head, separator, message = line.partition(": ")
            return f"{head}{separator}[request {request_id}] {message}"
        return f"{line} (request {request_id})"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, pid, message, request_id and any structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "")
        if request_id:
            line["request_id"] = request_id
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class AccessLogger(Logger):
    """gunicorn's logger, whose access lines name the request id (and, in JSON, carry fields)."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        request_id = atoms.get("{x-request-id}o", "")
        fields = {
            "remote_addr": atoms["h"], "method": atoms["m"], "path": environ.get("RAW_URI"),
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"], "bytes": atoms["B"],
            "duration_ms": round(atoms["D"] / 1000, 3), "referer": atoms["f"], "user_agent": atoms["a"],
        }
        try:
            self.access_log.info(self.cfg.access_log_format, self.atoms_wrapper_class(atoms),
                                 extra={"request_id": request_id, "fields": fields})
        except Exception:
            self.exception("cannot write an access log line")


def logging_config(log_format: str) -> dict[str, Any]:
    """The dictConfig of gunicorn and the app: stdout (a PaaS collects it), text or JSON."""
    formatter: dict[str, Any] = (
        {"()": "feedsvc.web.logs.JsonFormatter"} if log_format == "json" else
        {"()": "feedsvc.web.logs.TextFormatter",
         "fmt": "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"})
    handler = {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "main",
               "filters": ["request_id"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "feedsvc.web.logs.RequestIdFilter"}},
        "formatters": {"main": formatter},
        "handlers": {"console": handler},
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            name: {"level": "INFO", "handlers": ["console"], "propagate": False, "qualname": name}
            for name in ("gunicorn.error", "gunicorn.access")
        },
    }
