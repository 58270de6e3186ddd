"""A real W3C WebSub hub and subscriber on loopback, from PyPI ``flask-websub``, for tests.

    with Hub(tmp_path) as hub, Subscriber(tmp_path) as sub:
        subscription = sub.subscribe(feed_url)     # discovery, subscribe, verification of intent
        ...                                        # the publisher changes the feed, pings hub.url
        [delivery] = sub.wait_for_deliveries(1, timeout=10)
        hub.pings()                                # the publish requests the hub answered

Each side is a process of its own (``python tests/websub_support.py hub|subscriber --state DIR``)
in a session of its own; ``stop()`` kills that whole process group. A process binds 127.0.0.1 on a
port the kernel picks (``--port 0``) and writes the port to ``DIR/port``, so two runs never race for
a port. Both answer ``/_harness/...`` JSON endpoints that the classes below read: what the hub was
asked and what its Celery tasks did, and what the subscriber was sent.

The hub is flask-websub's blueprint on werkzeug's threaded server plus a REAL Celery worker in the
same process (thread pool, kombu's in-process ``memory://`` broker: no Redis). Not eager mode:
eager runs the topic fetch and the deliveries inside the ping's own request, so the publisher would
see a ping that blocks (a 202 after 1.6 s for a topic that takes 1.5 s: tried), which no deployed
hub does. Not ``filesystem://`` either: its worker can die on a half-written message (:func:`run_hub`).

Versions that work together (2026-12): flask-websub 0.4.1 (its last release, 2025; unmaintained)
with Flask 3.1.3, Werkzeug 3.1.9, requests 2.34.2, Python 3.11, and Celery 5.7.0 / kombu 5.7.0 as
well as Celery 5.3.6 / kombu 5.3.7. No patch and no shim of the library was needed; the harness
only sets what the library leaves to its user:

* ``PUBLISH_SUPPORTED = True`` in the hub app's config, or ``hub.mode=publish`` is a 400.
* The broker (above), and a 50 ms broker poll: with kombu's 1 s, ping -> delivery takes ~1 s.
* ``MAX_BODY_SIZE`` 16 MiB in the subscriber (``max_body_size=``): at the library's 1 MiB a larger
  feed is answered 400 and the hub retries it until it gives up (checked with a 100-byte limit).
* The subscriber sends no secret over http (``NO_SECRET_WITH_HTTP``): no ``X-Hub-Signature`` here.
* ``Subscriber.subscribe`` first tries the hub's URL as ``https://``: the hub's log shows one
  garbled request answered 400 per subscription (upstream issue #1). Harmless.
* Celery warns that it runs as root: harmless with its default JSON serializer.

What this hub does, each row checked by a test in tests/test_websub_harness.py:

=======================  ==================================================================
subscription             202, then the worker's GET to the callback (verification of intent)
                         with hub.lease_seconds=864000 (10 days) unless asked otherwise
publish ping             202 at once (~10-50 ms); the worker GETs the topic afterwards
                         (~50 ms later here): a topic that takes 2 s does not delay the 202.
                         ping -> delivery ~0.1 s on loopback
parameter read           ``hub.topic`` only, form-encoded in the body. ``hub.url`` alone, or
                         ``hub.topic`` in the query string: 400. Both sent: ``hub.url`` ignored
who gets the content     subscriptions whose topic equals ``hub.topic`` byte for byte (SQL
                         ``=``): ``localhost`` for ``127.0.0.1``, a trailing ``?``, ``%65`` for
                         ``e``: fetched, delivered to nobody. With no subscriber at all the
                         topic is fetched anyway
Link check               the topic's ``Link`` header(s) must contain the literal text
                         ``rel="hub"`` and ``rel="self"`` (one field or two). RFC 8288's
                         unquoted ``rel=hub``, or links only in the body: the task fails and
                         nothing is delivered. The URLs in them are not compared to anything
deduplication            none: every ping is one GET and one POST per subscriber, identical
                         bytes included; the GET never sends If-None-Match/If-Modified-Since
topic 503, 404, down     one GET, the task fails (NotificationError), nothing is delivered,
                         nothing is retried: the update is lost until the next ping
topic slow               read timeout 3 s (``REQUEST_TIMEOUT``): dropped as above, no retry
what is delivered        the body as ``requests`` decoded it, with ALL the topic's response
                         headers (Link, ETag, Last-Modified, Vary, Server, Connection...). A
                         gzipped topic (the hub asks ``Accept-Encoding: gzip, deflate``)
                         arrives DECODED yet labelled ``Content-Encoding: gzip``;
                         Content-Length is recomputed
failed delivery          non-2xx other than 410 is retried, 1 + ``MAX_ATTEMPTS`` POSTs in all,
                         then MaxRetriesExceededError; 410 deletes the subscription. Measured
                         with MAX_ATTEMPTS=2, BACKOFF_BASE=0.1; the defaults (10 retries,
                         each after uniform(0, 8 s x 2^n), about an hour in all) are read
                         from flask_websub/hub/tasks.py
=======================  ==================================================================
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from werkzeug.datastructures import Headers

HERE = Path(__file__).resolve()
BOOT_TIMEOUT = 30.0
HUB_PATH = "/hub"
CALLBACK_PREFIX = "/callbacks"


# --- the test side ------------------------------------------------------------------------------


def wait_until(probe: Callable[[], object], timeout: float, what: str, context: Callable[[], str] = str):
    """``probe()``'s first truthy answer, polled every 20 ms; an AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s\n{context()}")
        time.sleep(0.02)


@dataclass(frozen=True)
class Delivery:
    """One content distribution request (WebSub 7) that reached the subscriber's listener."""

    topic: str               # the subscription's topic (flask-websub passes that, not the ping's)
    callback_id: str
    headers: Headers         # as the hub sent them
    body: bytes
    received: float          # time.time() in the subscriber
    received_monotonic: float  # time.monotonic() there: CLOCK_MONOTONIC is system-wide on Linux


@dataclass(frozen=True)
class Subscription:
    callback_id: str
    topic_url: str
    hub_url: str


class _Process:
    """One ``websub_support.py ROLE`` process in a session of its own, and its JSON endpoints."""

    role = ""

    def __init__(self, parent: Path, **options):
        self.state = Path(tempfile.mkdtemp(prefix=f"websub-{self.role}-", dir=parent))
        self.options = options
        self.process: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> _Process:
        argv = [sys.executable, str(HERE), self.role, "--state", str(self.state)]
        for name, value in self.options.items():
            argv += [f"--{name.replace('_', '-')}", str(value)]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(self.state / "stdout", "wb") as out, open(self.state / "stderr", "wb") as err:
            self.process = subprocess.Popen(argv, cwd=HERE.parent.parent, env=env, stdout=out, stderr=err,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            self.port = int(wait_until(self._port, BOOT_TIMEOUT, f"{self.role} port file", self.output))
            wait_until(lambda: self._get("/_harness/status", booting=True).get("ready"), BOOT_TIMEOUT,
                       f"{self.role} ready", self.output)
        except BaseException:
            self.stop()
            raise
        return self

    def _port(self) -> str | None:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.role} exited with {self.process.returncode}\n{self.output()}")
        path = self.state / "port"
        return path.read_text() if path.exists() else None

    def stop(self, grace: float = 1.0) -> None:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds. Nothing in it needs a clean
        exit (its state is thrown away, its output unbuffered), and Celery's own shutdown takes ~4 s."""
        if self.process is None:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(wait)
            except subprocess.TimeoutExpired:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def output(self, tail: int = 6000) -> str:
        parts = []
        for name in ("stdout", "stderr"):
            path = self.state / name
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- {self.role} {name} (last {tail} chars) ---\n{text[-tail:]}")
        return "\n".join(parts)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _get(self, path: str, *, booting: bool = False) -> dict:
        """The JSON at ``path``. Any failure raises, except while booting: an empty journal read by
        mistake would make every "nothing was delivered" assertion pass."""
        if self.process.poll() is not None:
            raise AssertionError(f"{self.role} exited with {self.process.returncode}\n{self.output()}")
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=30) as response:
                return json.load(response)
        except (OSError, ValueError) as exc:
            if booting:
                return {}
            raise AssertionError(f"GET {path} from the {self.role}: {exc!r}\n{self.output()}") from exc

    def _post(self, path: str, payload: dict):
        request = urllib.request.Request(self.base_url + path, data=json.dumps(payload).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            with exc:  # it holds the connection
                return exc.code, json.loads(exc.read() or b"{}")


class Hub(_Process):
    """flask-websub's hub at :attr:`url`, with a Celery worker. Options are the library's knobs:
    ``backoff_base`` (8.0), ``max_attempts`` (10), ``request_timeout`` (3), ``concurrency`` (4)."""

    role = "hub"

    @property
    def url(self) -> str:
        return self.base_url + HUB_PATH

    def requests(self) -> list[dict]:
        """Every POST to the hub: form (dict), status, time, monotonic, duration (s), in order."""
        return self._get("/_harness/requests")["requests"]

    def pings(self) -> list[dict]:
        """The publish requests (hub.mode=publish) among :meth:`requests`, whatever their status."""
        return [r for r in self.requests() if r["form"].get("hub.mode") == "publish"]

    def tasks(self) -> list[dict]:
        """The worker's task events in order: event (queued, start, end, retry), task (short name),
        id, args (URLs only), state and error (on end), time, monotonic."""
        return self._get("/_harness/tasks")["tasks"]

    def outstanding(self) -> int:
        """Task messages queued and not yet run to an end (ETA retries included)."""
        events = self.tasks()
        return sum(e["event"] == "queued" for e in events) - sum(e["event"] == "end" for e in events)

    def wait_idle(self, timeout: float = 15.0) -> list[dict]:
        """Until every task queued so far has ended (deliveries included); the task events.
        Call it after a ping has been answered: the ping queues its task before the 202."""
        wait_until(lambda: self.outstanding() == 0, timeout, "hub idle",
                   lambda: json.dumps(self.tasks(), indent=1)[-4000:] + "\n" + self.output())
        return self.tasks()

    def notifications(self, topic: str | None = None) -> list[dict]:
        """The 'end' events of send_change_notification (one per ping), for ``topic`` if given."""
        return [e for e in self.tasks() if e["event"] == "end" and e["task"] == "send_change_notification"
                and (topic is None or e["args"][0] == topic)]


class Subscriber(_Process):
    """flask-websub's subscriber, its callbacks under ``/callbacks/<id>``. Options:
    ``max_body_size`` (16 MiB here, library default 1 MiB), ``request_timeout`` (3)."""

    role = "subscriber"

    def discover(self, url: str) -> dict:
        """flask_websub.discover(url) in the subscriber: {hub_url, topic_url} from the page's Link
        headers first, then <link>/<atom:link> in its body; an AssertionError if neither."""
        status, answer = self._post("/_harness/discover", {"url": url})
        assert status == 200, f"discovery of {url} failed: {answer}"
        return answer

    def subscribe(self, feed_url: str, *, topic_url: str | None = None, hub_url: str | None = None,
                  timeout: float = 10.0) -> Subscription:
        """Discover (unless both URLs are given), subscribe, and wait until the hub's verification
        of intent (WebSub 5.3) has reached the subscriber and been answered."""
        if topic_url is None or hub_url is None:
            found = self.discover(feed_url)
            topic_url, hub_url = topic_url or found["topic_url"], hub_url or found["hub_url"]
        status, answer = self._post("/_harness/subscribe", {"topic_url": topic_url, "hub_url": hub_url})
        assert status == 200, f"subscribing to {topic_url} at {hub_url} failed: {answer}"
        callback_id = answer["callback_id"]

        def verified():
            for event in self.events():
                if event["callback_id"] == callback_id and event["kind"] == "denied":
                    raise AssertionError(f"the hub denied {topic_url}: {event['reason']}")
                if event["callback_id"] == callback_id and event["kind"] == "subscribe":
                    return True
        wait_until(verified, timeout, f"verification of intent for {topic_url} (see also the hub's output())",
                   self.output)
        return Subscription(callback_id, topic_url, hub_url)

    def unsubscribe(self, subscription: Subscription, timeout: float = 10.0) -> None:
        status, answer = self._post("/_harness/unsubscribe", {"callback_id": subscription.callback_id})
        assert status == 200, answer
        wait_until(lambda: any(e["callback_id"] == subscription.callback_id and e["kind"] == "unsubscribe"
                               for e in self.events()), timeout, "unsubscription", self.output)

    def events(self) -> list[dict]:
        """Subscription outcomes: kind (subscribe, unsubscribe, denied), topic, callback_id, reason."""
        return self._get("/_harness/events")["events"]

    def callbacks(self) -> list[dict]:
        """Every request to a callback URL: method, callback_id, query, status, monotonic."""
        return self._get("/_harness/callbacks")["callbacks"]

    def fail_next(self, count: int, status: int) -> None:
        """Answer the next ``count`` deliveries (callback POSTs) with ``status``, unread."""
        assert self._post("/_harness/fail", {"count": count, "status": status})[0] == 200

    def deliveries(self, topic: str | None = None) -> list[Delivery]:
        found = []
        for d in self._get("/_harness/deliveries")["deliveries"]:
            if topic is None or d["topic"] == topic:
                found.append(Delivery(d["topic"], d["callback_id"], Headers(d["headers"]),
                                      base64.b64decode(d["body"]), d["received"], d["received_monotonic"]))
        return found

    def wait_for_deliveries(self, n: int, timeout: float = 10.0, topic: str | None = None) -> list[Delivery]:
        """The first ``n`` deliveries (for ``topic`` if given) once there are at least ``n``."""
        def enough():
            found = self.deliveries(topic)
            return found[:n] if len(found) >= n else None
        return wait_until(enough, timeout, f"{n} deliveries" + (f" for {topic}" if topic else ""), self.output)


# --- the server side (run as a script) ----------------------------------------------------------


class _Journal:
    """Append-only lists shared by the server's threads, served as JSON."""

    def __init__(self, *names: str):
        self.lock = threading.Lock()
        self.lists = {name: [] for name in names}

    def add(self, name: str, **entry) -> None:
        entry.setdefault("time", time.time())
        entry.setdefault("monotonic", time.monotonic())
        with self.lock:
            self.lists[name].append(entry)

    def snapshot(self, name: str) -> list:
        with self.lock:
            return list(self.lists[name])


def _serve(app, state: Path, port: int):
    """werkzeug's threaded server on 127.0.0.1:port in a daemon thread; the bound port in state/port."""
    import logging

    from werkzeug.serving import make_server

    # The access log keeps the WebSub traffic, not the tests' polling of /_harness/.
    logging.getLogger("werkzeug").addFilter(lambda record: "/_harness/" not in record.getMessage())

    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (state / "port.tmp").write_text(str(server.server_port))
    (state / "port.tmp").rename(state / "port")  # atomic: the test never reads half a number
    return server


def run_hub(args) -> None:
    from celery import Celery, signals
    from flask import Flask, g, jsonify, request
    from flask_websub.hub import Hub as WebSubHub
    from flask_websub.hub import SQLite3HubStorage

    journal = _Journal("requests", "tasks")
    ready = threading.Event()
    # memory://: the worker and the hub's web side share this process, and with it kombu's in-memory
    # queues. Not filesystem://: its _put creates the message file before writing it, and a worker
    # that lists the folder meanwhile reads "" and dies ("Unrecoverable error: JSONDecodeError",
    # celery/kombu#1551) while the web side goes on answering 202. Seen here within three runs.
    celery = Celery("websub_hub", broker="memory://")
    celery.conf.update(
        broker_transport_options={"polling_interval": 0.05},  # kombu's default is 1 s per poll
        broker_connection_retry_on_startup=True,
        worker_enable_remote_control=False,
        worker_hijack_root_logger=False,
    )
    app = Flask("websub_hub")
    app.config["PUBLISH_SUPPORTED"] = True  # the library's switch for hub.mode=publish
    hub = WebSubHub(SQLite3HubStorage(str(args.state / "hub.sqlite3")), celery,
                    BACKOFF_BASE=args.backoff_base, MAX_ATTEMPTS=args.max_attempts,
                    REQUEST_TIMEOUT=args.request_timeout)
    app.register_blueprint(hub.build_blueprint(url_prefix=HUB_PATH))

    @app.before_request
    def clock():
        g.started = time.monotonic()

    @app.after_request
    def record(response):
        if request.path == HUB_PATH and request.method == "POST":
            journal.add("requests", form=request.form.to_dict(), status=response.status_code,
                        duration=time.monotonic() - g.started)
        return response

    @app.get("/_harness/status")
    def status():
        return jsonify(ready=ready.is_set())

    @app.get("/_harness/requests")
    def requests_():
        return jsonify(requests=journal.snapshot("requests"))

    @app.get("/_harness/tasks")
    def tasks():
        return jsonify(tasks=journal.snapshot("tasks"))

    def short(name: str) -> str:  # "flask_websub.hub.tasks.subscribe_0" -> "subscribe"
        return name.rsplit(".", 1)[-1].rsplit("_", 1)[0]

    def urls(task_args) -> list:  # topic and callback URLs; never the base64 body
        return [a for a in task_args if isinstance(a, str) and a.startswith("http")]

    @signals.before_task_publish.connect(weak=False)
    def queued(sender=None, headers=None, **_):
        journal.add("tasks", event="queued", task=short(sender), id=headers["id"])

    @signals.task_prerun.connect(weak=False)
    def start(task_id=None, task=None, args=(), **_):
        journal.add("tasks", event="start", task=short(task.name), id=task_id, args=urls(args))

    @signals.task_retry.connect(weak=False)
    def retry(request=None, reason=None, **_):
        journal.add("tasks", event="retry", task=short(request.task), id=request.id, reason=str(reason))

    @signals.task_postrun.connect(weak=False)
    def end(task_id=None, task=None, args=(), retval=None, state=None, **_):
        # The message, cut: MaxRetriesExceededError's quotes the task's arguments, base64 body and all.
        error = f"{type(retval).__name__}: {retval}"[:300] if isinstance(retval, BaseException) else None
        journal.add("tasks", event="end", task=short(task.name), id=task_id, args=urls(args), state=state,
                    error=error)

    @signals.worker_ready.connect(weak=False)
    def worker_ready(**_):
        ready.set()

    _serve(app, args.state, args.port)
    # The worker owns the main thread: Celery installs its signal handlers there (SIGTERM = warm stop).
    celery.worker_main(["worker", "--pool=threads", f"--concurrency={args.concurrency}", "--loglevel=INFO",
                        "--without-heartbeat", "--without-gossip", "--without-mingle",
                        f"--hostname=hub{os.getpid()}@127.0.0.1"])
    sys.exit("websub hub: the Celery worker stopped")  # never a web side that answers 202 and does nothing


def run_subscriber(args) -> None:
    from flask import Flask, abort, jsonify, request
    from flask_websub.errors import FlaskWebSubError
    from flask_websub.subscriber import SQLite3SubscriberStorage, SQLite3TempSubscriberStorage, discover
    from flask_websub.subscriber import Subscriber as WebSubSubscriber

    journal = _Journal("events", "deliveries", "callbacks")
    failures = {"count": 0, "status": 500}
    lock = threading.Lock()
    database = str(args.state / "subscriber.sqlite3")
    subscriber = WebSubSubscriber(SQLite3SubscriberStorage(database), SQLite3TempSubscriberStorage(database),
                                  MAX_BODY_SIZE=args.max_body_size, REQUEST_TIMEOUT=args.request_timeout)
    app = Flask("websub_subscriber")
    app.register_blueprint(subscriber.build_blueprint(url_prefix=CALLBACK_PREFIX))

    @subscriber.add_success_handler
    def on_success(topic_url, callback_id, mode):
        journal.add("events", kind=mode, topic=topic_url, callback_id=callback_id, reason=None)

    @subscriber.add_error_handler
    def on_error(topic_url, callback_id, reason):
        journal.add("events", kind="denied", topic=topic_url, callback_id=callback_id, reason=reason)

    @subscriber.add_listener
    def on_delivery(topic_url, callback_id, body):
        # Called inside the hub's POST: its headers are this request's.
        journal.add("deliveries", topic=topic_url, callback_id=callback_id, headers=list(request.headers.items()),
                    body=base64.b64encode(body).decode("ascii"), received=time.time(),
                    received_monotonic=time.monotonic())

    @app.before_request
    def maybe_fail():
        if request.method == "POST" and request.path.startswith(CALLBACK_PREFIX + "/"):
            with lock:
                if failures["count"] > 0:
                    failures["count"] -= 1
                    return "harness: failing this delivery on purpose\n", failures["status"]

    @app.after_request
    def record(response):
        if request.path.startswith(CALLBACK_PREFIX + "/"):
            journal.add("callbacks", method=request.method, callback_id=request.path.rsplit("/", 1)[-1],
                        query=request.args.to_dict(), status=response.status_code)
        return response

    @app.get("/_harness/status")
    def status():
        return jsonify(ready=True)

    @app.post("/_harness/discover")
    def discover_():
        try:
            return jsonify(discover(request.json["url"], timeout=5))
        except (FlaskWebSubError, OSError) as exc:
            return jsonify(error=f"{type(exc).__name__}: {exc}"), 502

    @app.post("/_harness/subscribe")
    def subscribe():
        try:  # url_for(_external=True) in the library builds the callback from this request's host
            callback_id = subscriber.subscribe(topic_url=request.json["topic_url"], hub_url=request.json["hub_url"])
        except FlaskWebSubError as exc:
            return jsonify(error=f"{type(exc).__name__}: {exc}"), 502
        return jsonify(callback_id=callback_id)

    @app.post("/_harness/unsubscribe")
    def unsubscribe():
        try:
            subscriber.unsubscribe(request.json["callback_id"])
        except FlaskWebSubError as exc:
            return jsonify(error=f"{type(exc).__name__}: {exc}"), 502
        return jsonify(ok=True)

    @app.post("/_harness/fail")
    def fail():
        with lock:
            failures.update(count=int(request.json["count"]), status=int(request.json["status"]))
        return jsonify(ok=True)

    @app.get("/_harness/<name>")
    def journal_(name):
        if name not in journal.lists:
            abort(404)
        return jsonify({name: journal.snapshot(name)})

    _serve(app, args.state, args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    roles = parser.add_subparsers(dest="role", required=True)
    for role in ("hub", "subscriber"):
        sub = roles.add_parser(role)
        sub.add_argument("--state", type=Path, required=True, help="a folder of its own (databases, logs, port)")
        sub.add_argument("--port", type=int, default=0, help="0: a free port, written to STATE/port")
        sub.add_argument("--request-timeout", type=float, default=3, help="REQUEST_TIMEOUT (library default 3 s)")
        if role == "hub":
            sub.add_argument("--backoff-base", type=float, default=8.0, help="BACKOFF_BASE (library default 8 s)")
            sub.add_argument("--max-attempts", type=int, default=10, help="MAX_ATTEMPTS (library default 10)")
            sub.add_argument("--concurrency", type=int, default=4, help="Celery worker threads")
        else:
            sub.add_argument("--max-body-size", type=int, default=16 * 1024 * 1024,
                             help="MAX_BODY_SIZE (library default 1 MiB)")
    args = parser.parse_args(argv)
    (run_hub if args.role == "hub" else run_subscriber)(args)


if __name__ == "__main__":
    main()
