"""The floor: the least a Flask app can do to return the same bytes (run by bench/server.py).

It answers with the app's own body and headers, saved by bench/web.py, so the gap that is left is what
feedsvc does per request (routing, guards, cache lookup, validators), not what it must send.
"""

import json
import os
from pathlib import Path

from flask import Flask, Response, request


def create_app():
    app = Flask(__name__)
    folder = Path(os.environ["FLOOR_DIR"])
    bodies = {False: (folder / "feed.xml").read_bytes(), True: (folder / "feed.xml.gz").read_bytes()}
    saved = json.loads((folder / "headers.json").read_text())
    headers = {(gz, status): saved[f"{int(gz)}-{status}"] for gz in (False, True) for status in (200, 304)}
    etags = {False: headers[False, 200]["ETag"], True: headers[True, 200]["ETag"]}

    @app.get("/feed")
    def feed():
        gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
        if request.headers.get("If-None-Match") == etags[gzip_ok]:
            return Response(status=304, headers=headers[gzip_ok, 304])
        return Response(bodies[gzip_ok], headers=headers[gzip_ok, 200])

    return app
