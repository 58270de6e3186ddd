"""Feed readers as subscribers run them, each polling a real server the way it really does.

* :class:`ModifiedSinceOnly` sends only If-Modified-Since (tt-rss does) and keeps the last body.
* :class:`CurlTimeCondition` is ``curl -R -z FILE``: libcurl's time condition, as newsboat and
  sfeed use it. libcurl drops a 200 whose Last-Modified is not newer than the date it sent.
* :class:`FeedparserModified` is feedparser with ``modified=`` only.
* :class:`Newsboat` is the Debian terminal reader, one ``newsboat -x reload`` at a time.
* :class:`Sfeed` is sfeed_update (Debian), with the conditional fetch() its README gives
  (curl --etag-compare/--etag-save and -z), fed from an OPML import (sfeed_opml_import).
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import feedparser

NEWSBOAT_CONFIG = """\
reload-threads 1
download-retries 1
download-timeout 10
"""


def _name(url: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", urlsplit(url).path).strip("_")


class ModifiedSinceOnly:
    """A poller that remembers one Last-Modified per feed and sends nothing else."""

    def __init__(self, urls: list[str]):
        self.urls = urls
        self.bodies: dict[str, bytes] = {}
        self.modified: dict[str, str] = {}
        self.statuses: list[int] = []

    def poll(self) -> None:
        for url in self.urls:
            parts = urlsplit(url)
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
            headers = {"If-Modified-Since": self.modified[url]} if url in self.modified else {}
            conn.request("GET", parts.path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            conn.close()
            self.statuses.append(response.status)
            assert response.status in (200, 304), (url, response.status)
            if response.status == 200:
                self.bodies[url] = body
                if response.getheader("Last-Modified"):
                    self.modified[url] = response.getheader("Last-Modified")
                else:
                    self.modified.pop(url, None)

    def body(self, url: str) -> bytes:
        return self.bodies[url]


class CurlTimeCondition:
    """``curl -s -R -z FILE -o FILE URL``: the file keeps the server's Last-Modified as its mtime."""

    def __init__(self, folder: Path, urls: list[str]):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.urls = urls

    def _file(self, url: str) -> Path:
        return self.folder / (_name(url) + ".xml")

    def poll(self) -> None:
        for url in self.urls:
            target = self._file(url)
            fresh = target.with_suffix(".new")
            fresh.unlink(missing_ok=True)
            command = ["curl", "-s", "-f", "-R", "-o", str(fresh), url]
            if target.exists():
                command[1:1] = ["-z", str(target)]
            result = subprocess.run(command, capture_output=True, timeout=30)
            assert result.returncode == 0, (url, result.returncode, result.stderr)
            if fresh.exists() and fresh.stat().st_size:  # condition unmet or 304: no file, keep ours
                fresh.replace(target)

    def body(self, url: str) -> bytes:
        return self._file(url).read_bytes()


class FeedparserModified:
    """feedparser.parse(url, modified=...) and nothing else, keeping the entries it last got."""

    def __init__(self, urls: list[str]):
        self.urls = urls
        self.modified: dict[str, str] = {}
        self.entries: dict[str, dict[str, str]] = {}

    def poll(self) -> None:
        for url in self.urls:
            parsed = feedparser.parse(url, modified=self.modified.get(url))
            assert parsed.status in (200, 304), (url, parsed.status)
            if parsed.status == 200:
                assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
                self.entries[url] = {entry.id: entry.title for entry in parsed.entries}
                if "modified" in parsed:
                    self.modified[url] = parsed.modified
                else:
                    self.modified.pop(url, None)


class Newsboat:
    """newsboat with its own HOME, cache, config and url list, run one reload at a time."""

    def __init__(self, folder: Path, urls: list[str]):
        self.executable = shutil.which("newsboat")
        assert self.executable, ("newsboat is not installed; the end-to-end reader tests need it "
                                 "(apt-get install newsboat, as .ci/run does)")
        self.folder = folder
        self.home = folder / "home"
        self.home.mkdir(parents=True)
        self.urls = folder / "urls"
        self.urls.write_text("".join(url + "\n" for url in urls), encoding="utf-8")
        self.config = folder / "config"
        self.config.write_text(NEWSBOAT_CONFIG, encoding="utf-8")
        self.cache = folder / "cache.db"
        self.runs = 0

    def reload(self) -> str:
        """One `newsboat -x reload`; its debug log, checked for errors."""
        self.runs += 1
        log = self.folder / f"newsboat-{self.runs}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
        env.update(HOME=str(self.home), LANG="C.UTF-8", LC_ALL="C.UTF-8", TERM="dumb")
        result = subprocess.run(
            [self.executable, "-u", str(self.urls), "-c", str(self.cache), "-C", str(self.config),
             "-x", "reload", "-l", "6", "-d", str(log)],
            env=env, cwd=self.folder, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
        )
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        assert result.returncode == 0, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
        errors = [line for line in text.splitlines() if re.search(r"\] (USER)?ERROR: ", line)]
        assert errors == [], "\n".join(errors)
        assert "parse_url: ret = 0" in text, text[-3000:]
        return text

    def poll(self) -> None:
        for _ in range(3):  # it sends its stored validators from the third reload on
            self.reload()

    def items(self, feed: str | None = None) -> list[tuple[str, str, str, int]]:
        """(guid, feedurl, title, pubDate) of every item in the cache (of one feed)."""
        with sqlite3.connect(self.cache) as db:
            rows = db.execute("SELECT guid, feedurl, title, pubDate FROM rss_item ORDER BY id").fetchall()
        return [row for row in rows if feed is None or row[1] == feed]

    def etags(self) -> dict[str, str]:
        with sqlite3.connect(self.cache) as db:
            return dict(db.execute("SELECT rssurl, etag FROM rss_feed"))


SFEEDRC = """\
sfeedpath="{folder}/feeds"
maxjobs=1
. "{folder}/imported"
# sfeed's README: "Caching, incremental data updates and bandwidth-saving". A copy of what was
# last fetched is kept too, so a test can compare it with what the server serves.
fetch() {{
	etag="{folder}/etags/$(basename "$3")"
	copy="{folder}/fetched/$(basename "$3")"
	curl -L --max-redirs 0 -H "User-Agent:" -f -s -m 15 \\
		--etag-save "$etag" --etag-compare "$etag" -z "$etag" \\
		"$2" > "$copy.new" 2>/dev/null || return 1
	[ -s "$copy.new" ] && cp "$copy.new" "$copy"
	cat "$copy.new"
}}
"""


class Sfeed:
    """sfeed_update over the feeds of an OPML list (sfeed_opml_import), with a conditional fetch()."""

    def __init__(self, folder: Path, opml: bytes):
        for tool in ("sfeed_update", "sfeed_opml_import", "curl"):
            assert shutil.which(tool), f"{tool} is not installed (apt-get install sfeed curl, as .ci/run does)"
        self.folder = folder
        for sub in ("feeds", "etags", "fetched"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        imported = subprocess.run(["sfeed_opml_import"], input=opml, capture_output=True, timeout=30, check=True)
        (folder / "imported").write_bytes(imported.stdout)
        self.rc = folder / "sfeedrc"
        self.rc.write_text(SFEEDRC.format(folder=folder), encoding="utf-8")
        self.urls = dict(re.findall(r"feed '([^']*)' '([^']*)'", imported.stdout.decode("utf-8"))) or dict(
            re.findall(r'feed "([^"]*)" "([^"]*)"', imported.stdout.decode("utf-8")))
        assert self.urls, imported.stdout[:500]

    def poll(self) -> None:
        result = subprocess.run(["sfeed_update", str(self.rc)], capture_output=True, timeout=120,
                                env={**os.environ, "HOME": str(self.folder)})
        assert result.returncode == 0 and b"FAIL" not in result.stderr + result.stdout, (result.stdout, result.stderr)

    def ids(self, name: str) -> list[str]:
        """The id column of every item sfeed keeps for one feed (its TSV file)."""
        path = self.folder / "feeds" / name
        if not path.exists():
            return []
        return [line.split("\t")[5] for line in path.read_text("utf-8").splitlines() if line]

    def fetched(self, name: str) -> bytes:
        return (self.folder / "fetched" / name).read_bytes()
