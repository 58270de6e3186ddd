"""30 s of loopback load on the Procfile's gunicorn while the corpus changes under it.

The load comes from a second process (loadgen.LoadProcess); this process adds, edits,
renames and deletes files, some written in two halves. ``pytest -s`` prints the figures; the same
run, standalone and with a table: ``python bench/load_changing.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT
from corpus_tools import failures, run_changing_load
from raw_http import report

pytestmark = pytest.mark.e2e  # 30 s of load on a real gunicorn

LOAD_SECONDS = 30.0


def test_load_with_a_changing_corpus(tmp_path):
    figures = run_changing_load(tmp_path, duration=LOAD_SECONDS, connections=8, workers=2, reload_interval=1.0,
                                seed=7)
    report("load-changing", seconds=figures["duration_s"], requests=figures["requests"], rps=figures["rps"],
           writer_changes=figures["writer_actions"], partial_writes=figures["writer"].get("partial_writes", 0),
           bodies_validated=figures["bodies_validated"], distinct_etags=figures["distinct_etags"],
           five_xx=figures["5xx"], transport_errors=figures["transport_errors"],
           converged_s=figures["converged_s_after_load"], failures=len(failures(figures)))
    assert figures["5xx"] == 0, figures["server_errors"]
    assert figures["transport_errors"] == 0, figures["transport_error_detail"]
    assert figures["bad_bodies"] == []
    assert figures["etag_conflicts"] == []
    assert figures["bad_headers"] == []
    assert figures["converged_s_after_load"] >= 0, figures["convergence_problem"]
    assert figures["healthz_status"] == 200 and figures["healthz_articles"] == figures["final_articles"]
    assert figures["tracebacks_in_log"] == 0
    assert failures(figures) == []
    # The run really exercised what it claims (counts, not timings).
    assert figures["duration_s"] >= LOAD_SECONDS
    assert figures["requests"] >= 1000 and figures["bodies_validated"] >= 50 and figures["distinct_etags"] >= 50
    for action in ("add", "edit", "rename", "delete", "partial_writes"):
        assert figures["writer"].get(action, 0) >= 1, (action, figures["writer"])


def test_the_documented_command_runs_the_same_check():
    # bench/README.md's `python bench/load_changing.py`, shortened: bench/ has a server.py of its own,
    # and the script must still run the tests' Server.
    done = subprocess.run([sys.executable, "bench/load_changing.py", "--duration", "3", "--connections", "2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["requests"] > 0 and figures["5xx"] == 0 and failures(figures) == []
