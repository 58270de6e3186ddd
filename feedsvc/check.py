"""`feedsvc check`: what the parser read from each file, for an editor to act on."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from feedsvc.articles.categories import Vocabulary
from feedsvc.corpus import load_folder
from feedsvc.report import report_lines, skipped_line


def run_check(corpus: Path, config: dict, *, as_json: bool = False, lang: str = "vi", out=None, err=None) -> int:
    """Print the report; exit status 1 when a file had to be skipped, 2 when the folder is missing."""
    out = out or sys.stdout
    err = err or sys.stderr
    if not corpus.is_dir():
        print(f"feedsvc check: {corpus} is not a folder", file=err)
        return 2
    repo = load_folder(corpus, vocabulary=Vocabulary.extended(config["CATEGORIES"]),
                       max_file_bytes=config["MAX_FILE_BYTES"])
    articles = repo.all_articles(as_parsed=True)  # as the parser read them: undated stays undated
    if as_json:
        # Tools read these lines: exactly the documented keys, warnings in English.
        for article in articles:
            print(json.dumps(article.to_json(), ensure_ascii=False), file=out)
        for name, reason in sorted(repo.skipped.items()):
            print(skipped_line(name, reason, "en"), file=err)
    else:
        print("\n".join(report_lines(articles, repo.skipped, lang)), file=out)
    return 1 if repo.skipped else 0
