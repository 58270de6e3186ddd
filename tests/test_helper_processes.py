"""The helper processes that parse and list the folder yield the cores to the worker that started them."""

from __future__ import annotations

import os
from functools import partial

import pytest

from feedsvc.corpus.helpers import HELPER_NICENESS, Helper, map_in_helpers

pytestmark = pytest.mark.e2e  # spawned interpreters


def test_helpers_run_at_a_lower_priority_than_their_worker():
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    expected = min(mine + HELPER_NICENESS, 19)
    assert expected > mine
    assert list(map_in_helpers(partial(os.getpriority, os.PRIO_PROCESS), [0, 0, 0], 2)) == [expected] * 3
    lister = Helper()
    assert lister.run(partial(os.getpriority, os.PRIO_PROCESS, 0)) == expected
    assert lister.run(os.getpid) != os.getpid()
    assert os.getpriority(os.PRIO_PROCESS, 0) == mine  # the worker itself keeps its own
