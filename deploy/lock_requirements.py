"""Write requirements.txt: pyproject.toml's [project].dependencies resolved to pinned versions.

The platforms' Python builders install an app from one package-manager file at the repository root
(README, "Deploy"); for us that is requirements.txt, and it must name no local path (`.`, `-e .`),
because Railway's Railpack copies only that file into its install step. Run with the Python of
.python-version, after any change to the dependencies:

    python deploy/lock_requirements.py

pip resolves the dependencies from nothing (--ignore-installed) without installing anything
(--dry-run) and reports what it would install (--report, pip >= 22.2), so the current environment
does not leak into the pins.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = """\
# Pinned runtime dependencies for the platforms' builders (Heroku, Dokku, Render, Railway, the Dockerfile).
# Generated from pyproject.toml by `python deploy/lock_requirements.py` with Python {python}: do not edit.
# No `.` line: the Procfile runs from the repository root, and Railpack installs this file alone.
"""


def canonical(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def resolve(dependencies: list[str]) -> dict[str, str]:
    """canonical name -> version of every distribution pip would install for ``dependencies``."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                        "--report", str(report), *dependencies], check=True)
        found = json.loads(report.read_text(encoding="utf-8"))["install"]
    return {canonical(item["metadata"]["name"]): item["metadata"]["version"] for item in found}


def main() -> int:
    wanted = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running != wanted:
        # Environment markers make the resolution depend on the interpreter: pin for the deployed one.
        print(f"lock_requirements: run me with Python {wanted} (.python-version), not {running}", file=sys.stderr)
        return 2
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = resolve(project["dependencies"])
    lines = [f"{name}=={version}" for name, version in sorted(pins.items())]
    (ROOT / "requirements.txt").write_text(HEADER.format(python=wanted) + "\n".join(lines) + "\n",
                                           encoding="utf-8")
    print(f"requirements.txt: {len(lines)} pins for {len(project['dependencies'])} dependencies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
