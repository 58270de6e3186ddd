"""The committed tree of the project, as a user or a platform gets it (``git archive HEAD``)."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# tarfile's extraction filters arrived in 3.11.4 (PEP 706); pyproject asks for 3.11, and Debian's
# is 3.11.2. The archive is our own HEAD, so without them nothing is lost.
_SAFE = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


def export_head(dest: Path) -> Path:
    """The committed tree of HEAD, unpacked into ``dest`` (which must not exist)."""
    dest.mkdir(parents=True)
    archive = dest.with_suffix(".tar")
    subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), "HEAD"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, **_SAFE)
    return dest
