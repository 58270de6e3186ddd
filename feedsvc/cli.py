"""`feedsvc check | serve | build`: the command line."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from feedsvc import settings


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m feedsvc`` and the ``feedsvc`` script."""
    parser = argparse.ArgumentParser(prog="feedsvc", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="parse a corpus and report what an editor should fix")
    check.add_argument("dir", nargs="?", help="corpus folder (default: FEEDSVC_CORPUS_DIR, the seeds)")
    check.add_argument("--json", action="store_true", help="one JSON object per article per line")
    check.add_argument("--lang", choices=("vi", "en"), default="vi", help="language of the report (default: vi)")

    serve = commands.add_parser("serve", help="run the service under gunicorn, as the Procfile does")
    serve.add_argument("--port", default=os.environ.get("PORT", "8000"))

    build = commands.add_parser("build", help="write every feed and page as static files for nginx or a CDN")
    build.add_argument("outdir")
    build.add_argument("--base-url", help="public base URL (default: FEEDSVC_BASE_URL)")

    args = parser.parse_args(argv)
    try:
        config = settings.load()
    except settings.SettingError as exc:
        print(f"feedsvc: {exc}", file=sys.stderr)
        return 2
    if args.command == "check":
        from feedsvc.check import run_check

        return run_check(Path(str(args.dir or config["CORPUS_DIR"])), config, as_json=args.json, lang=args.lang)
    if args.command == "serve":
        from feedsvc.web.serve import exec_gunicorn

        return exec_gunicorn(args.port)
    from feedsvc.build import run_build

    return run_build(Path(args.outdir), config, base_url=args.base_url)


if __name__ == "__main__":
    sys.exit(main())
