"""gunicorn's gthread worker, with every wait on a client done by its event loop, not by a thread.

gthread hands a connection to one of its few threads at once, and the thread waits for the head
in a blocking recv() with no deadline (for a slow reader, in sendall()): a few dozen slow clients
take every thread. Here the loop reads each head without blocking, under a deadline; a thread
then runs the app into a list of references to its bytes and sends what the socket takes at once;
the loop sends the rest. At the connection limit the longest idle connection is closed. TLS, HTTP/2
and the PROXY protocol are left to gthread (unused here: a PaaS router terminates TLS).
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

from gunicorn import http, util
from gunicorn.http.body import LengthReader
from gunicorn.http.message import DEFAULT_MAX_HEADERFIELD_SIZE, MAX_HEADERS, MAX_REQUEST_LINE
from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

# A request head must be whole this many seconds after its first byte (after the accept, on a new
# connection). RFC 9112 sets no figure; a real client sends its head in one packet.
HEAD_TIMEOUT = 10.0
# An answer whose reader takes no byte for this long is abandoned (nginx's send_timeout idea).
SEND_IDLE_TIMEOUT = 30.0
# A thread reading a request body (feedsvc never does) waits at most this long for each piece.
BODY_TIMEOUT = 5.0
# RFC 9112 section 9.6: before closing, read what the client still sends, or the close becomes a
# reset that can destroy the answer in flight; bounded as gunicorn's own close_graceful().
LINGER_SECONDS, LINGER_BYTES = 2.0, 65536
# RFC 9110 section 15.5.9: a server may say that it stopped waiting for the rest of a request.
TIMEOUT_408 = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
PIECE = 8192
# The kernel would grow a slow reader's send buffer to 4 MB, a copy per connection; past this, the
# loop holds the answer as references to the app's shared bytes (Linux doubles the figure).
SEND_BUFFER = 256 * 1024


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
    """gthread whose threads only run the app; reading heads and sending answers is the loop's."""

    def init_process(self):
        cfg = self.cfg
        self.fallback = (cfg.is_ssl or cfg.http2_cleartext != "off" or cfg.proxy_protocol != "off"
                         or getattr(cfg, "protocol", "http") != "http")
        line = min(cfg.limit_request_line, MAX_REQUEST_LINE) if cfg.limit_request_line > 0 else MAX_REQUEST_LINE
        fields = cfg.limit_request_fields if 0 < cfg.limit_request_fields <= MAX_HEADERS else MAX_HEADERS
        size = cfg.limit_request_field_size if cfg.limit_request_field_size > 0 else DEFAULT_MAX_HEADERFIELD_SIZE
        self.max_head = line + fields * (size + 2) + 2 * PIECE  # beyond it the parser answers 414 or 431
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY:  # each connection is a file; 256 for the app's own
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            self.worker_connections = min(self.worker_connections, hard - 256)
        self.waiting = collections.OrderedDict()  # connections in the loop, least recently active first
        self.next_scan, self.stopping = 0.0, False
        self.log = _Log(self.log)
        super().init_process()

    # -- in the event loop: heads in -----------------------------------------------------------------

    def accept(self, listener):
        if self.fallback:
            return super().accept(listener)
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
        conn.head, conn.out, conn.logged, conn.keep = bytearray(), [], [], False
        self.wait_head(conn, b"", HEAD_TIMEOUT)
        # RFC 9112 section 9.5: a server may close an idle connection at any time. At the limit the
        # longest idle one goes, rather than new clients waiting in the listen backlog.
        while self.nr_conns >= self.worker_connections and len(self.waiting) > 1:
            self.close(next(iter(self.waiting)))

    def wait_head(self, conn, data: bytes, timeout: float) -> None:
        conn.head[:] = data
        if self.head_done(conn.head):
            self.dispatch(conn)
        else:
            self.watch(conn, selectors.EVENT_READ, self.on_head, HEAD_TIMEOUT if data else timeout)

    def head_done(self, head: bytearray) -> bool:
        # Whole, too big, or with a bare LF, which the parser refuses at once (RFC 9112 section 2.2).
        return b"\r\n\r\n" in head or len(head) > self.max_head or head.count(b"\n") != head.count(b"\r\n")

    def on_head(self, conn, _sock) -> None:
        data = self.receive(conn)
        if not data:
            if data is not None:
                self.close(conn)  # gone before a whole head: nothing to answer
            return
        if not conn.head and conn.parser is not None:
            conn.deadline = time.monotonic() + HEAD_TIMEOUT  # a kept-alive connection's next request
        conn.head += data
        self.waiting.move_to_end(conn)
        if self.head_done(conn.head):
            self.dispatch(conn)

    def dispatch(self, conn) -> None:
        self.unwatch(conn)
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
            conn.parser.unreader = _Replay(conn.sock)
            conn.initialized = conn.data_ready = True  # gthread's own waiting is skipped
        conn.parser.unreader.feed(bytes(conn.head))
        conn.head.clear()
        self.enqueue_req(conn)

    # -- in a thread: the app ------------------------------------------------------------------------

    def handle(self, conn):
        if self.fallback:
            return super().handle(conn)
        sock = conn.sock
        conn.sock = out = _Out(sock)
        try:
            conn.keep = super().handle(conn) is True  # parses the replayed head, runs the app into `out`
        finally:
            conn.sock = sock
        sock.setblocking(False)
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

    # -- in the event loop: answers out --------------------------------------------------------------

    def finish_request(self, conn, fs):
        if self.fallback:
            return super().finish_request(conn, fs)
        if fs.cancelled() or fs.exception() is not None:
            self.close(conn)
        elif conn.out:
            self.watch(conn, selectors.EVENT_WRITE, self.on_writable, SEND_IDLE_TIMEOUT)
        else:
            self.answered(conn)

    def on_writable(self, conn, _sock) -> None:
        if self.send(conn):
            self.unwatch(conn)
            self.write_log(conn)
            self.answered(conn)
        else:
            conn.deadline = time.monotonic() + SEND_IDLE_TIMEOUT
            self.waiting.move_to_end(conn)

    def answered(self, conn) -> None:
        if conn.keep:
            idle = self.cfg.keepalive if self.alive else min(self.cfg.keepalive, STOP_KEEPALIVE_LINGER)
            self.wait_head(conn, conn.parser.unreader.take(), idle)
            return
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.close(conn)
            return
        conn.lingered = 0
        self.watch(conn, selectors.EVENT_READ, self.on_linger, LINGER_SECONDS)

    def on_linger(self, conn, _sock) -> None:
        data = self.receive(conn)
        if data is not None:
            conn.lingered += len(data)
            if not data or conn.lingered >= LINGER_BYTES:
                self.close(conn)

    # -- bookkeeping ---------------------------------------------------------------------------------

    def receive(self, conn) -> bytes | None:
        """One non-blocking read: bytes, b"" at the end (or an error), None if nothing is there."""
        try:
            return conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            return b""

    def watch(self, conn, events, callback, timeout: float) -> None:
        conn.deadline = time.monotonic() + timeout
        self.poller.register(conn.sock, events, partial(callback, conn))
        self.waiting[conn] = None

    def unwatch(self, conn) -> None:
        if self.waiting.pop(conn, False) is None:  # it was watched (its value is None)
            self.poller.unregister(conn.sock)

    def close(self, conn) -> None:
        self.unwatch(conn)
        self.nr_conns -= 1
        util.close(conn.sock)

    def murder_pending(self):
        """Close what is past its deadline (gthread's loop calls this after every wake-up)."""
        if self.fallback:
            return super().murder_pending()
        now = time.monotonic()
        if now < self.next_scan:
            return
        self.next_scan = now + 0.2
        if not self.alive and not self.stopping:
            self.stopping = True  # a kept-alive connection has 2 s more for a request, as in gthread
            for conn in self.waiting:
                if not conn.out:
                    conn.deadline = min(conn.deadline, now + STOP_KEEPALIVE_LINGER)
        for conn in [conn for conn in self.waiting if conn.deadline <= now]:
            if conn.head:
                try:
                    conn.sock.send(TIMEOUT_408)
                except OSError:
                    pass
            self.close(conn)
