"""Real-time figures through gunicorn: CPU of an idle service, time until a new file is served
by every worker, and time until a WebSub subscriber receives it."""

from __future__ import annotations

import http.client
import os
import statistics
import sys
import time
from pathlib import Path

from server import Server

ALL_FEED = "/feeds/all.rss"
TICK = os.sysconf("SC_CLK_TCK")
IN_A_ROW = 6  # consecutive fresh-connection answers that must all show the new article
sys.path.append(str(Path(__file__).resolve().parent.parent / "tests"))  # websub_support; appended: shadows nothing


# -- CPU of a whole process tree ---------------------------------------------------------------

def _stat_fields(pid: str) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone between the listing and the read
        return None
    # The command name is in parentheses and may hold spaces: the fields start after the last ")".
    return raw[raw.rindex(")") + 2:].split()


def session_ticks(session: int) -> dict[int, tuple[str, int]]:
    """{pid: (name, CPU ticks)} of every process in this session (the server is a session leader).

    A process's ticks are its own user + system time plus those of the children it has reaped
    (cutime + cstime), so a helper that ran and exited between two readings is still counted.
    """
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        fields = _stat_fields(pid)
        # fields[0] is the state (field 3 of proc(5)): session is field 6, utime..cstime 14-17.
        if fields is None or int(fields[3]) != session:
            continue
        try:
            name = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            name = "?"
        found[int(pid)] = (name, sum(int(value) for value in fields[11:15]))
    return found


def idle_cpu(server: Server, seconds: float, settle: float) -> dict:
    """% of one core used by every process of an idle server over ``seconds``, after ``settle``."""
    time.sleep(settle)
    before = session_ticks(server.process.pid)
    started = time.monotonic()
    time.sleep(seconds)
    after = session_ticks(server.process.pid)
    elapsed = time.monotonic() - started
    per_process = {}
    for pid, (name, ticks) in after.items():
        role = ("master" if pid == server.process.pid else "worker" if "gunicorn" in name else
                "tracker" if "resource_tracker" in name else "helper" if "multiprocessing" in name else "other")
        per_process[f"{role} {pid}"] = (ticks - before.get(pid, (name, 0))[1]) / TICK / elapsed * 100
    # A process gone by the end was reaped by its parent, which is in the session: its whole time
    # is in that parent's cutime now, so every earlier reading is taken off, its own included.
    gone = set(before) - set(after)
    total = sum(ticks for _, ticks in after.values()) - sum(ticks for _, ticks in before.values())
    return {"pct": total / TICK / elapsed * 100, "seconds": elapsed, "processes": per_process,
            "gone": len(gone)}


def poll_once(server: Server, path: str) -> tuple[float, int | None, bytes]:
    """One GET on a fresh connection: (when it was sent, the worker that answered, the body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        sent = time.monotonic()
        conn.request("GET", path, headers={"Accept-Encoding": "identity"})
        response = conn.getresponse()
        body = response.read()
        worker = server.answered_by(conn) if response.status == 200 else None
        return sent, worker, body if response.status == 200 else b""
    finally:
        conn.close()


# -- new articles ---------------------------------------------------------------------------------

def article(rep: int, tag: str) -> tuple[str, str]:
    """(title, file text) of a new dated article, newer than anything in the corpus."""
    title = f"Bài mới {tag} số {rep} đo độ trễ"
    text = (f" date 2031-02-{rep + 1:02d} Kinh tế {title}\n\n(kontumtv.vn) – Sáng 2/2, huyện Đắk Hà thử nghiệm "
            f"lần {rep}.\n\nNgọc Ánh\n")
    return title, text


def add_atomically(corpus: Path, name: str, text: str) -> float:
    """Write under a temporary name the service ignores, then rename into place; monotonic time of the rename."""
    temp = corpus / f".{name}.part"
    temp.write_text(text, encoding="utf-8")
    started = time.monotonic()
    os.replace(temp, corpus / name)
    return started


def cleanup(corpus: Path, prefix: str) -> None:
    for stale in list(corpus.glob(f"{prefix}*.txt")) + list(corpus.glob(f".{prefix}*")):
        stale.unlink()


def visible_times(server: Server, corpus: Path, reps: int, limit: float = 30) -> list[dict]:
    """For each new article: ms from its rename until every worker serves it in the site feed.

    Polls every 20 ms on fresh connections and notes which worker answered each one. A worker
    serves the article from the first of its answers that has it with none lacking it after; the
    figure is the latest of these over the workers. It stops once IN_A_ROW answers in a row have
    the article and every worker has given it at least once.
    """
    workers = server.worker_pids()
    found = []
    try:
        for rep in range(reps):
            title, text = article(rep, "hiện")
            needle = title.encode()
            time.sleep(1.0)  # the previous change has settled everywhere
            started = add_atomically(corpus, f"zz_visible_{rep}.txt", text)
            answers: list[tuple[float, int | None, bool]] = []
            while True:
                sent, worker, body = poll_once(server, ALL_FEED)
                answers.append((sent, worker, needle in body))
                recent = answers[-IN_A_ROW:]
                having = {w for _, w, has in answers if has}
                if len(recent) == IN_A_ROW and all(has for _, _, has in recent) and having >= set(workers):
                    break
                if time.monotonic() - started > limit:
                    raise RuntimeError(f"article {rep} not served by every worker within {limit}s: {answers[-10:]}")
                time.sleep(0.02)
            since = {}
            for worker in workers:
                mine = [(sent, has) for sent, w, has in answers if w == worker]
                last_miss = max((i for i, (_, has) in enumerate(mine) if not has), default=-1)
                since[worker] = mine[last_miss + 1][0]
            found.append({"ms": (max(since.values()) - started) * 1000, "polls": len(answers),
                          "unknown_worker": sum(w is None for _, w, _ in answers)})
    finally:
        cleanup(corpus, "zz_visible_")
    return found


def websub_times(server: Server, hub, subscriber, corpus: Path, reps: int, limit: float = 30) -> list[float]:
    """For each new article: ms from its rename until the subscriber of the site feed receives it."""
    topic = server.url + ALL_FEED
    found = []
    try:
        for rep in range(reps):
            title, text = article(rep, "đẩy")
            needle = title.encode()
            time.sleep(1.0)
            started = add_atomically(corpus, f"zz_websub_{rep}.txt", text)
            while True:
                got = [d for d in subscriber.deliveries(topic) if needle in d.body]
                if got:
                    # CLOCK_MONOTONIC is one clock for every process on Linux: no polling error.
                    found.append((got[0].received_monotonic - started) * 1000)
                    break
                if time.monotonic() - started > limit:
                    raise RuntimeError(f"article {rep} not delivered within {limit}s; hub:\n{hub.output()}")
                time.sleep(0.02)
    finally:
        cleanup(corpus, "zz_websub_")
    return found


def median_ms(values: list[float]) -> float:
    return statistics.median(values)
