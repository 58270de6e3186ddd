"""`feedsvc check`: what the parser read from each file, for an editor to act on."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from feedsvc.articles.categories import Vocabulary
from feedsvc.corpus import load_folder


def run_check(corpus: Path, config: dict, *, as_json: bool = False, out=None, err=None) -> int:
    """Print the report; exit status 1 when a file had to be skipped, 2 when the folder is missing."""
    out = out or sys.stdout
    err = err or sys.stderr
    if not corpus.is_dir():
        print(f"feedsvc check: {corpus} is not a folder", file=err)
        return 2
    repo = load_folder(corpus, vocabulary=Vocabulary.extended(config["CATEGORIES"]),
                       max_file_bytes=config["MAX_FILE_BYTES"])
    articles = repo.all_articles()
    for article in articles:
        if as_json:
            print(json.dumps(article.to_json(), ensure_ascii=False), file=out)
        else:
            _print_article(article, out)
    for name, reason in sorted(repo.skipped.items()):
        print(f"skipped {name}: {reason}", file=err if as_json else out)
    if not as_json:
        _print_totals(articles, repo.skipped, out)
    return 1 if repo.skipped else 0


def _print_article(article, out) -> None:
    date = "undated"
    if article.published:
        date = article.published.strftime("%Y-%m-%d" if article.date_precision == "day" else "%Y-%m")
    print(f"{article.id}  {date}  {article.category or '(no section)'}", file=out)
    print(f"    {article.title}", file=out)
    print(f"    authors: {', '.join(article.authors) or '(none)'}", file=out)
    for warning in article.warnings:
        print(f"    ! {warning}", file=out)


def _print_totals(articles, skipped, out) -> None:
    precision = Counter(a.date_precision or "undated" for a in articles)
    warned = sum(1 for a in articles if a.warnings)
    print(
        f"\n{len(articles)} articles: {precision['day']} dated to the day, {precision['month']} to the month, "
        f"{precision['undated']} undated; {warned} with warnings; {len(skipped)} files skipped",
        file=out,
    )
