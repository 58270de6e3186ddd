"""Search through HTTP: a mix of readers' queries, each distinct so no cached document answers."""

from __future__ import annotations

import gzip
import http.client
import random
import statistics
import time
import unicodedata
import urllib.parse
from pathlib import Path

from server import Server

# What readers of a Kon Tum newsroom type, as they type it: place and people's names, common words,
# with and without diacritics (đ typed as d), 1 to 4 words.
TYPED = (
    "kon tum", "Kon Tum", "tinh", "tỉnh", "kinh te", "kinh tế", "huyện", "huyen dak ha", "Đắk Hà", "dak to",
    "Đăk Glei", "ngoc hoi", "Ngọc Hồi", "sa thay", "Sa Thầy", "kon plong", "kon ray", "tu mo rong",
    "Xơ Đăng", "xo dang", "Ba Na", "sam ngoc linh", "sâm Ngọc Linh", "cao su", "ca phe", "cà phê",
    "nông thôn mới", "nong thon moi", "tiem chung", "tiêm chủng", "covid", "hoc sinh", "học sinh",
    "ubnd tinh", "UBND huyện", "công an tỉnh", "cong an", "bien gioi", "biên giới", "thanh tung",
    "Quang Mẫn", "hong hanh", "Hồng Hạnh", "ngoc anh", "le dung", "duc anh", "khanh linh",
    "phong chay chua chay", "dân tộc thiểu số", "giam ngheo", "giảm nghèo bền vững", "hoi nghi",
    "Chủ tịch UBND tỉnh", "chu tich ubnd tinh", "lực lượng chức năng", "kiem lam", "rung", "trồng rừng",
    "du lich", "du lịch cộng đồng", "mang den", "măng đen", "ho tro", "đồng bào", "dong bao dan toc",
)


def fold_ascii(text: str) -> str:
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in plain if not unicodedata.combining(c))


def queries(corpus: Path, count: int, seed: int = 11) -> list[str]:
    """``count`` distinct queries: the typed list, then 1-4 words in a row from the text of random
    files (rarer phrases), half of them folded to ASCII, some in capitals."""
    rng = random.Random(seed)
    found: list[str] = []
    seen: set[str] = set()

    def take(query: str) -> None:
        query = " ".join(query.split())
        if query and query not in seen and len(found) < count:
            seen.add(query)
            found.append(query)

    for query in TYPED:
        take(query)
    names = sorted(path.name for path in corpus.glob("[0-9]*.txt"))
    while len(found) < count:
        text = (corpus / rng.choice(names)).read_text(encoding="utf-8")
        # A line of the article's own text (not the export's header line), its words without digits.
        lines = [line for line in text.splitlines() if len(line) > 40 and not line.startswith(" date")]
        line = rng.choice(lines).replace("(kontumtv.vn)", "")
        words = [w.strip(",.:;()–-\"“”") for w in line.split()]
        words = [w for w in words if w and not any(c.isdigit() for c in w)]
        if len(words) < 4:
            continue
        size = rng.randint(1, 4)
        start = rng.randrange(0, len(words) - size + 1)
        query = " ".join(words[start : start + size])
        roll = rng.random()
        query = fold_ascii(query).lower() if roll < 0.5 else query.upper() if roll < 0.6 else query
        take(query)
    return found


def search_times(server: Server, corpus: Path, count: int) -> dict:
    """ms per search answered over HTTP (fresh connection each), for /search and /search.rss."""
    found: dict[str, list[float]] = {"/search": [], "/search.rss": []}
    results = []
    for query in queries(corpus, count):
        for path in found:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            try:
                started = time.perf_counter()
                conn.request("GET", f"{path}?q={urllib.parse.quote_plus(query)}",
                             headers={"Accept-Encoding": "gzip"})
                response = conn.getresponse()
                body = response.read()
                found[path].append((time.perf_counter() - started) * 1000)
            finally:
                conn.close()
            if response.status != 200:
                raise RuntimeError(f"{path}?q={query}: HTTP {response.status} {body[:200]!r}")
            if path == "/search.rss":
                if response.getheader("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                results.append(body.count(b"<item>"))
    every = found["/search"] + found["/search.rss"]
    return {"queries": len(results), "empty": sum(n == 0 for n in results),
            "full_page": sum(n >= 50 for n in results),
            "p50": statistics.median(every), "p90": statistics.quantiles(every, n=10)[-1], "max": max(every),
            "html_p50": statistics.median(found["/search"]), "rss_p50": statistics.median(found["/search.rss"]),
            "requests": len(every)}
