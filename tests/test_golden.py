"""The seeds' feeds, byte for byte: rendering is deterministic, so whole documents are compared.

After an intended change to the output, regenerate with ``python tests/test_golden.py`` and
review the diff of tests/golden/ like any other change.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
BASE = "https://feeds.kontumtv.example"
DOCUMENTS = {"seeds.rss": "/feeds/all.rss", "seeds.atom": "/feeds/all.atom", "seeds.json": "/feeds/all.json",
             "seeds-thoi-su-chinh-tri.rss": "/feeds/thoi-su-chinh-tri.rss", "seeds.opml": "/feeds.opml",
             "seeds-chua-phan-loai.atom": "/feeds/chua-phan-loai.atom"}
# The seeds' files as exported at a fixed time: an undated article (004) is dated by its file's
# mtime when a corpus is first indexed, so the input of a byte-for-byte comparison includes it.
EXPORTED_AT = 1_696_150_800  # 2023-10-01 16:00 +07:00


def render_all() -> dict[str, bytes]:
    from feedsvc.web.app import create_app

    with tempfile.TemporaryDirectory() as folder:
        for source in SEEDS.glob("*.txt"):
            shutil.copy(source, Path(folder) / source.name)
            os.utime(Path(folder) / source.name, (EXPORTED_AT, EXPORTED_AT))
        app = create_app({"CORPUS_DIR": folder, "INDEX_PATH": "memory", "BACKGROUND_LOAD": False,
                          "RELOAD_INTERVAL": 0, "BASE_URL": BASE})
        client = app.test_client()
        return {name: client.get(url).data for name, url in DOCUMENTS.items()}


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    """The six documents, rendered once for the six comparisons."""
    return render_all()


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_seed_feeds_match_the_golden_files(rendered, name):
    assert rendered[name] == (GOLDEN / name).read_bytes()


@pytest.mark.e2e
def test_a_second_process_renders_the_same_bytes(tmp_path):
    import subprocess
    import sys

    target = tmp_path / "seeds.atom"
    code = ("import sys, pathlib; sys.path.insert(0, 'tests'); import test_golden as g; "
            f"pathlib.Path({str(target)!r}).write_bytes(g.render_all()['seeds.atom'])")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=GOLDEN.parent.parent, timeout=60)
    assert other.returncode == 0, other.stderr
    assert target.read_bytes() == render_all()["seeds.atom"]


if __name__ == "__main__":
    GOLDEN.mkdir(exist_ok=True)
    for golden_name, data in render_all().items():
        (GOLDEN / golden_name).write_bytes(data)
        print(f"wrote tests/golden/{golden_name} ({len(data)} bytes)")
