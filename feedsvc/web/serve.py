"""`feedsvc serve`: exactly the Procfile's gunicorn command, for running locally."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

PROCFILE = Path(__file__).resolve().parent.parent.parent / "Procfile"
COMMAND = "gunicorn --config python:feedsvc.web.gunicorn_conf 'feedsvc.web.app:create_app()'"


def procfile_command() -> list[str]:
    """The `web:` command of the Procfile (or its packaged copy), as argv."""
    line = COMMAND
    if PROCFILE.exists():
        for raw in PROCFILE.read_text().splitlines():
            if raw.startswith("web:"):
                line = raw[len("web:"):].strip()
    return shlex.split(line)


def exec_gunicorn(port: str) -> int:
    """Replace this process with gunicorn, as the platform would start it."""
    os.environ["PORT"] = str(port)
    argv = procfile_command()
    if argv[0] == "gunicorn":
        # This interpreter's gunicorn, not whichever is first on PATH (a venv that is not activated).
        argv = [sys.executable, "-m", "gunicorn", *argv[1:]]
    os.execv(argv[0], argv)
    return 1  # not reached
