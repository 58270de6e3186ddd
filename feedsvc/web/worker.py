"""gunicorn's gthread worker, with every wait on a client done by its event loop, not by a thread.

gthread hands a connection to one of its few threads at once, and the thread waits for the head
in a blocking recv() with no deadline (for a slow reader, in sendall()): a few dozen slow clients
take every thread. Here a thread gets a connection when bytes are there, reads without blocking,
and gives a head still incomplete back to the loop, which reads the rest under a deadline. The
thread runs the app into a list of references to its bytes, sends what the socket takes at once,
and the loop sends the rest. At the connection limit the longest idle connection is closed.
Plain HTTP/1 only: TLS, HTTP/2 and the PROXY protocol are gthread's (a PaaS router ends TLS).

One module and one class, longer than our others (about 350 and 230 lines): each method overrides
one of gthread's, and the connection states move between them; split, the state machine would be
read across files, against the gthread source it mirrors.
"""

from __future__ import annotations

import collections
import errno
import resource
import selectors
import socket
import time
from datetime import timedelta
from functools import partial
from typing import Any

from gunicorn import http, util
from gunicorn.http.body import LengthReader
from gunicorn.http.message import DEFAULT_MAX_HEADERFIELD_SIZE, MAX_HEADERS, MAX_REQUEST_LINE
from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

# A head must be whole this long after its first byte (after the accept, on a new connection).
# RFC 9112 sets no figure; a real client sends its head in one packet.
HEAD_TIMEOUT = 10.0
# An answer whose reader takes no byte for this long is abandoned (nginx's send_timeout idea).
SEND_IDLE_TIMEOUT = 30.0
# A thread reading a request body (feedsvc never does) waits at most this long for each piece.
BODY_TIMEOUT = 5.0
# RFC 9112 section 9.6: read what the client still sends before closing, or the close becomes a
# reset that can destroy the answer in flight; bounded as in gunicorn's close_graceful().
LINGER_SECONDS, LINGER_BYTES = 2.0, 65536
# RFC 9110 section 15.5.9: a server may say that it stopped waiting for the rest of a request.
TIMEOUT_408 = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
# Linux grows a send buffer up to 4 MB (tcp_wmem), a copy per slow reader; past this the loop holds
# the answer instead, as references to the app's shared bytes (Linux doubles the figure).
SEND_BUFFER = 256 * 1024
PIECE = 8192
_MORE, _GONE = object(), object()  # a thread's word for a head still incomplete, for a client gone


class _Replay(SocketUnreader):
    """The head the loop read, 8 KB at a time (gunicorn's parser checks its size limits after each
    piece), then, once the head is parsed, the socket. A head that ends early is a client gone."""

    def feed(self, data: bytes) -> None:
        self.pieces = collections.deque(data[i:i + PIECE] for i in range(0, len(data), PIECE))
        self.live = False

    def chunk(self, size_hint=None):
        if self.pieces:
            return self.pieces.popleft()
        if not self.live:
            return b""  # the parser raises NoMoreData: never a blocking read for a head
        self.sock.settimeout(BODY_TIMEOUT)
        return super().chunk(size_hint)

    def take(self) -> bytes:
        """What was read beyond the request just answered: the start of a pipelined one."""
        return self.take_buffered() + b"".join(self.pieces)


class _Out:
    """The socket as a thread sees it: what it writes is kept, as is the access log line, written
    once the answer has left (gthread logs after its sendall() too)."""

    def __init__(self, sock):
        self.sock, self.chunks, self.logged = sock, [], []

    def sendall(self, data):
        self.chunks.append(data)
        return len(data)

    send = sendall

    def sendfile(self, file, offset=0, count=None):
        file.seek(offset)
        self.chunks.append(file.read(count))

    def recv(self, *_):
        return b""

    def gettimeout(self):
        return None

    def setblocking(self, *_):
        pass

    settimeout = shutdown = close = setblocking

    def __getattr__(self, name):
        return getattr(self.sock, name)


class _Log:
    """gunicorn's logger, but the access line of an answer still being sent waits for it."""

    def __init__(self, log):
        self.log = log

    def access(self, resp, req, environ, request_time):
        out = environ.get("gunicorn.socket")
        if isinstance(out, _Out):
            out.logged.append((resp, req, environ, request_time, time.monotonic()))
        else:
            self.log.access(resp, req, environ, request_time)

    def __getattr__(self, name):
        return getattr(self.log, name)


class SlowClientWorker(ThreadWorker):
    """gthread whose threads never wait on a client. A connection is "head" (in the loop, until a
    request head is whole), "busy" (in a thread), "flush" (in the loop, sending the rest of an
    answer), "linger" (in the loop, closing), then "closed"."""

    # Set by gunicorn's untyped Worker.__init__; declared so that mypy knows them.
    worker_connections: int
    log: Any

    @classmethod
    def check_config(cls, cfg, log):
        super().check_config(cfg, log)
        if cfg.is_ssl or cfg.http2_cleartext != "off" or cfg.proxy_protocol != "off" or cfg.protocol != "http":
            raise RuntimeError(f"{cls.__name__} speaks plain HTTP/1 only: use gthread for TLS, HTTP/2, "
                               "PROXY or uwsgi (a PaaS router terminates TLS before gunicorn)")

    def init_process(self):
        cfg = self.cfg
        # gunicorn's own limits (http/message.py): past this, its parser answers 414 or 431.
        fields = cfg.limit_request_fields if 0 < cfg.limit_request_fields <= MAX_HEADERS else MAX_HEADERS
        size = cfg.limit_request_field_size if cfg.limit_request_field_size > 0 else DEFAULT_MAX_HEADERFIELD_SIZE
        self.max_head = MAX_REQUEST_LINE + fields * (size + 2) + 2 * PIECE
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY:  # each connection is a file; 256 for the app's own
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            self.worker_connections = min(self.worker_connections, hard - 256)
        self.waiting = collections.OrderedDict()  # connections in the loop, least recently active first
        self.next_scan, self.stopping = 0.0, False
        self.log = _Log(self.log)
        super().init_process()

    # -- in the event loop -----------------------------------------------------------------------------

    def accept(self, listener):
        try:
            sock, client = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM) and self.waiting:
                self.close(next(iter(self.waiting)))  # out of files: make room, as at the limit
            elif exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ECONNABORTED, errno.EINTR):
                raise
            return
        self.nr_conns += 1
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        conn = TConn(self.cfg, sock, client, listener.getsockname())
        conn.head, conn.out, conn.logged, conn.keep, conn.events = bytearray(), [], [], False, 0
        conn.callback = partial(self.on_event, conn)
        self.listen(conn, "head", selectors.EVENT_READ, HEAD_TIMEOUT)
        # RFC 9112 section 9.5: a server may close an idle connection at any time. At the limit the
        # longest idle one goes, rather than new clients waiting in the listen backlog.
        while self.nr_conns >= self.worker_connections and len(self.waiting) > 1:
            self.close(next(iter(self.waiting)))

    def on_event(self, conn, _sock) -> None:
        state = conn.state
        if state == "closed":
            return  # closed by an earlier event of the same wake-up
        if state == "busy":  # a pipelined request, or a close, while a thread answers: later
            self.poller.unregister(conn.sock)
            conn.events = 0
        elif state == "head" and not conn.head:
            self.to_thread(conn)  # a new request: the thread reads it, usually whole
        elif state == "head":  # a slow client: read the rest here, not in a thread job per piece
            data = self.receive(conn)
            if data == b"":
                self.close(conn)
            elif data:
                conn.head += data
                self.waiting.move_to_end(conn)
                if self.head_done(conn.head):
                    self.to_thread(conn)
        elif state == "flush":
            if self.send(conn):
                self.write_log(conn)
                self.answered(conn)
            else:
                conn.deadline = time.monotonic() + SEND_IDLE_TIMEOUT
                self.waiting.move_to_end(conn)
        else:  # linger
            data = self.receive(conn)
            if data is not None:
                conn.lingered += len(data)
                if not data or conn.lingered >= LINGER_BYTES:
                    self.close(conn)

    def to_thread(self, conn) -> None:
        conn.state = "busy"
        self.waiting.pop(conn, None)
        self.enqueue_req(conn)

    def finish_request(self, conn, fs):
        result = fs.result() if not fs.cancelled() and fs.exception() is None else _GONE
        if result is _GONE:
            self.close(conn)
        elif result is _MORE:
            self.listen(conn, "head", selectors.EVENT_READ, conn.deadline - time.monotonic())
        elif conn.out:
            self.listen(conn, "flush", selectors.EVENT_WRITE, SEND_IDLE_TIMEOUT)
        else:
            self.answered(conn)

    def answered(self, conn) -> None:
        if conn.keep:
            conn.head[:] = conn.parser.unreader.take()  # the start of a pipelined request, if any
            if conn.head and self.head_done(conn.head):
                self.to_thread(conn)
            else:
                idle = self.cfg.keepalive if self.alive else min(self.cfg.keepalive, STOP_KEEPALIVE_LINGER)
                self.listen(conn, "head", selectors.EVENT_READ, HEAD_TIMEOUT if conn.head else idle)
            return
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.close(conn)
            return
        conn.lingered = 0
        self.listen(conn, "linger", selectors.EVENT_READ, LINGER_SECONDS)

    def listen(self, conn, state: str, events: int, timeout: float) -> None:
        """Wait in the loop; an epoll_ctl() only when the events change (each one lets go of the
        GIL, and the loop may then wait up to 5 ms to get it back from a busy thread)."""
        conn.state, conn.deadline = state, time.monotonic() + timeout
        if conn.events != events:
            (self.poller.modify if conn.events else self.poller.register)(conn.sock, events, conn.callback)
            conn.events = events
        self.waiting.pop(conn, None)
        self.waiting[conn] = None

    def close(self, conn) -> None:
        if conn.events:
            self.poller.unregister(conn.sock)
        self.waiting.pop(conn, None)
        self.nr_conns -= 1
        conn.state = "closed"
        util.close(conn.sock)

    def murder_pending(self):
        """Close what is past its deadline (gthread's loop calls this after every wake-up)."""
        now = time.monotonic()
        if now < self.next_scan:
            return
        self.next_scan = now + 0.2
        if not self.alive and not self.stopping:
            self.stopping = True  # a kept-alive connection has 2 s more for a request, as in gthread
            for conn in self.waiting:
                if conn.state != "flush":
                    conn.deadline = min(conn.deadline, now + STOP_KEEPALIVE_LINGER)
        for conn in [conn for conn in self.waiting if conn.deadline <= now]:
            if conn.state == "head" and conn.head:
                try:
                    conn.sock.send(TIMEOUT_408)
                except OSError:
                    pass
            self.close(conn)

    # -- in a thread -----------------------------------------------------------------------------------

    def handle(self, conn):
        if not self.head_done(conn.head):  # a new request: read it here, without waiting
            data = self.receive(conn)
            if data == b"":
                return _GONE
            if data and not conn.head and conn.parser is not None:
                conn.deadline = time.monotonic() + HEAD_TIMEOUT  # a kept-alive connection's next request
            conn.head += data or b""
            if not self.head_done(conn.head):
                return _MORE
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
            conn.parser.unreader = _Replay(conn.sock)
            conn.initialized = conn.data_ready = True  # gthread's own waiting is skipped
        conn.parser.unreader.feed(bytes(conn.head))
        conn.head.clear()
        sock = conn.sock
        conn.sock = out = _Out(sock)
        try:
            conn.keep = super().handle(conn) is True  # parses the replayed head, runs the app into `out`
        finally:
            conn.sock = sock
        if sock.gettimeout() != 0.0:
            sock.setblocking(False)  # only after reading a body: each such call lets go of the GIL
        conn.out, conn.logged = out.chunks, out.logged
        if self.send(conn):
            self.write_log(conn)
        return conn.keep

    def handle_request(self, req, conn):
        conn.parser.unreader.live = True
        if not isinstance(req.body.reader, LengthReader) or req.body.reader.length:
            # An unread body would have to be drained, by a thread, before the next request:
            # the connection closes after this answer instead, and the loop drains it.
            req.force_close()
        return super().handle_request(req, conn)

    def _keepalive_after(self, conn, keepalive):
        return keepalive  # nothing to drain (see handle_request), and no settimeout() calls

    def send(self, conn) -> bool:
        """Send what the socket takes now, without blocking; True once nothing is left."""
        out = conn.out
        while out:
            try:
                sent = conn.sock.sendmsg(out[:64])
            except (BlockingIOError, InterruptedError):
                return False
            except OSError:
                out.clear()
                conn.keep = False
                break
            while sent:
                if sent >= len(out[0]):
                    sent -= len(out.pop(0))
                else:
                    out[0], sent = memoryview(out[0])[sent:], 0
        return True

    def write_log(self, conn) -> None:
        for resp, req, environ, request_time, buffered in conn.logged:
            self.log.log.access(resp, req, environ, request_time + timedelta(seconds=time.monotonic() - buffered))
        conn.logged = []

    # -- either --------------------------------------------------------------------------------------

    def head_done(self, head: bytearray) -> bool:
        # Whole, too big, or with a bare LF, which gunicorn's parser refuses (RFC 9112 section 2.2).
        return b"\r\n\r\n" in head or len(head) > self.max_head or head.count(b"\n") != head.count(b"\r\n")

    def receive(self, conn) -> bytes | None:
        """One non-blocking read: bytes, b"" at the end (or an error), None if nothing is there."""
        try:
            return conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            return b""
