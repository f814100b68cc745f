# SPDX-License-Identifier: Apache-2.0
"""Shared pieces of tetherd's integration tests (Python stdlib only).

Tetherd: starts build/tetherd on 127.0.0.1 with port 0, learns the port
from its "listening on ... (port N)" line, collects every stderr line, and
is killed by PID when the test ends (also on an exception or a signal).

Device: a UDP socket that speaks just enough CoAP (RFC 7252) to register,
update, answer the server's requests and send garbage.
"""
import atexit
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

BUILD = os.environ.get("TETHER_BUILD_DIR", "build")

_children = []


def _kill_all(*_):
    for p in _children:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


atexit.register(_kill_all)
for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_s, lambda *a: (_kill_all(), sys.exit(1)))


def fail(msg):
    print("FAIL: " + msg, flush=True)
    _kill_all()
    sys.exit(1)


class Tetherd:
    def __init__(self, *args):
        cmd = [os.path.join(BUILD, "tetherd"), "--coap", "127.0.0.1:0", "--http", "off"] + list(args)
        # Tests share the build directory: no ./tether-data unless asked.
        if "--store" not in args:
            cmd += ["--store", "memory"]
        # In a sanitizer build, freed memory sits in ASan's quarantine and
        # would read as growth in the memory checks: turn it off.
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = ":".join(filter(None, (
            env.get("ASAN_OPTIONS"), "quarantine_size_mb=0", "thread_local_quarantine_size_kb=0")))
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     env=env)
        _children.append(self.proc)
        self.lines = []
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        m = self.wait_line(r"listening on \S+ \(port (\d+)\)", 10)
        self.port = int(m.group(1))
        self.addr = ("127.0.0.1", self.port)
        self.wait_line(r"ready", 10)

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.cv:
                self.lines.append(line)
                self.cv.notify_all()

    def wait_line(self, pattern, timeout=5.0, start=0):
        """The first line (from index start) matching pattern, waiting up to
        timeout seconds; fails the test otherwise."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for line in self.lines[start:]:
                    m = rx.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    fail("no line matching %r within %.1fs; log:\n%s"
                         % (pattern, timeout, "\n".join(self.lines[-30:])))
                self.cv.wait(min(left, 0.2))

    def mark(self):
        with self.cv:
            return len(self.lines)

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self, sig=signal.SIGTERM, timeout=10):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            fail("tetherd did not stop within %ds of signal %d" % (timeout, sig))


# --- CoAP ------------------------------------------------------------------

CON, NON, ACK, RST = 0, 1, 2, 3
GET, POST, PUT, DELETE = 1, 2, 3, 4


def code(c, d):
    return c << 5 | d


def code_str(c):
    return "%d.%02d" % (c >> 5, c & 31)


def _ext(v):
    if v < 13:
        return v, b""
    if v < 269:
        return 13, bytes([v - 13])
    return 14, struct.pack(">H", v - 269)


def encode(typ, c, mid, token=b"", opts=(), payload=b""):
    out = bytes([0x40 | typ << 4 | len(token), c]) + struct.pack(">H", mid) + token
    last = 0
    for num, val in sorted(opts, key=lambda o: o[0]):
        dn, de = _ext(num - last)
        ln, le = _ext(len(val))
        out += bytes([dn << 4 | ln]) + de + le + val
        last = num
    if payload:
        out += b"\xff" + payload
    return out


def decode(data):
    """(type, code, mid, token, [(num, val)], payload) or None."""
    if len(data) < 4 or data[0] >> 6 != 1:
        return None
    typ, tkl, c, mid = data[0] >> 4 & 3, data[0] & 15, data[1], struct.unpack(">H", data[2:4])[0]
    token = data[4:4 + tkl]
    p, num, opts = 4 + tkl, 0, []
    while p < len(data) and data[p] != 0xFF:
        d, l = data[p] >> 4, data[p] & 15
        p += 1
        vals = []
        for v in (d, l):
            if v == 13:
                v = data[p] + 13
                p += 1
            elif v == 14:
                v = struct.unpack(">H", data[p:p + 2])[0] + 269
                p += 2
            vals.append(v)
        num += vals[0]
        opts.append((num, data[p:p + vals[1]]))
        p += vals[1]
    payload = data[p + 1:] if p < len(data) else b""
    return typ, c, mid, token, opts, payload


def uint_opt(v):
    b = b""
    while v:
        b = bytes([v & 0xFF]) + b
        v >>= 8
    return b


def path_opts(path):
    return [(11, s.encode()) for s in path.split("/") if s]


def query_opts(q):
    return [(15, s.encode()) for s in q.split("&") if s] if q else []


class Device:
    """One UDP socket speaking CoAP to tetherd."""

    def __init__(self, server_addr):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.server = server_addr
        self.mid = int.from_bytes(os.urandom(2), "big")
        self.pending = []  # (request, source) that arrived while waiting
        self.last_src = None  # source address of the last server request

    def next_mid(self):
        self.mid = (self.mid + 1) & 0xFFFF
        return self.mid

    def request(self, c, path, query="", cf=None, payload=b"", timeout=3.0):
        """Send a CON request, return the decoded piggybacked answer."""
        mid, tok = self.next_mid(), os.urandom(4)
        opts = path_opts(path) + query_opts(query)
        if cf is not None:
            opts.append((12, uint_opt(cf)))
        self.s.sendto(encode(CON, c, mid, tok, opts, payload), self.server)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data, src = self.s.recvfrom(4096)
            except socket.timeout:
                break
            m = decode(data)
            if m is None:
                continue
            if m[0] == ACK and m[2] == mid:
                return m
            if m[0] in (CON, NON) and m[1] in (GET, POST, PUT, DELETE):
                self.pending.append((m, src))
        fail("no answer to %s %s?%s" % (code_str(c), path, query))

    def register(self, query, links=b"</1/0>,</3/0>"):
        m = self.request(POST, "rd", query, 40, links)
        loc = "/".join(v.decode() for n, v in m[4] if n == 8)
        return m[1], loc

    def server_request(self, timeout=3.0):
        """The next request the server sends us."""
        if self.pending:
            m, self.last_src = self.pending.pop(0)
            return m
        self.s.settimeout(timeout)
        try:
            while True:
                data, src = self.s.recvfrom(4096)
                m = decode(data)
                if m and m[0] in (CON, NON) and m[1] in (GET, POST, PUT, DELETE):
                    self.last_src = src
                    return m
        except socket.timeout:
            fail("the server sent no request within %.1fs" % timeout)

    def answer(self, req, c, cf=None, payload=b""):
        opts = [(12, uint_opt(cf))] if cf is not None else []
        self.s.sendto(encode(ACK, c, req[2], req[3], opts, payload), self.server)

    def raw(self, data):
        self.s.sendto(data, self.server)


def opt_path(m):
    return "/".join(v.decode() for n, v in m[4] if n == 11)


def opt_uint(m, num):
    for n, v in m[4]:
        if n == num:
            return int.from_bytes(v, "big")
    return None


def tlv(type_, id_, value):
    """One OMA-TLV entry (LwM2M 1.0 §6.4.3)."""
    h = type_ << 6
    idb = bytes([id_]) if id_ < 256 else struct.pack(">H", id_)
    if id_ >= 256:
        h |= 0x20
    n = len(value)
    if n < 8:
        h |= n
        lb = b""
    elif n < 256:
        h |= 0x08
        lb = bytes([n])
    else:
        h |= 0x10
        lb = struct.pack(">H", n)
    return bytes([h]) + idb + lb + value


def tlv_int(v):
    for size, fmt in ((1, ">b"), (2, ">h"), (4, ">i"), (8, ">q")):
        try:
            return struct.pack(fmt, v)
        except struct.error:
            continue
    raise ValueError(v)
