#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tether-client against an independent LwM2M test server written here with
the Python standard library only (its own CoAP codec, RFC 7252 §3). The
server checks the client's Register, Update and De-register byte by byte
(header, every option in order, queries, payload), then drives it like a
management server would: Write /1/0/1 (R8), Execute /1/0/8 (R23), Read,
Write /1/0/5 + Execute /1/0/4 (R20: answer, De-register, silence, Register
again) and finally SIGTERM (R11: De-register on shutdown)."""
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("TETHER_BUILD_DIR", "build")
CLIENT = os.path.join(BUILD, "tether-client")

CON, NON, ACK, RST = 0, 1, 2, 3
GET, POST, PUT, DELETE = 0x01, 0x02, 0x03, 0x04
CREATED, DELETED, CHANGED, CONTENT = 0x41, 0x42, 0x44, 0x45
URI_PATH, CONTENT_FORMAT, URI_QUERY, LOCATION_PATH, ACCEPT = 11, 12, 15, 8, 17


def code_str(c):
    return "%d.%02d" % (c >> 5, c & 31)


def ext(v):
    if v < 13:
        return v, b""
    if v < 269:
        return 13, bytes([v - 13])
    return 14, struct.pack(">H", v - 269)


def encode(mtype, code, mid, token=b"", options=(), payload=b""):
    out = bytearray([0x40 | (mtype << 4) | len(token), code]) + struct.pack(">H", mid) + token
    last = 0
    for num, val in sorted(options, key=lambda o: o[0]):  # stable: repeats keep order
        d, dx = ext(num - last)
        l, lx = ext(len(val))
        out += bytes([(d << 4) | l]) + dx + lx + val
        last = num
    if payload:
        out += b"\xff" + payload
    return bytes(out)


def decode(buf):
    assert len(buf) >= 4, "datagram shorter than a CoAP header"
    ver, mtype, tkl = buf[0] >> 6, (buf[0] >> 4) & 3, buf[0] & 15
    assert ver == 1, "CoAP version %d" % ver
    code, mid = buf[1], struct.unpack(">H", buf[2:4])[0]
    token, i, num, opts = buf[4:4 + tkl], 4 + tkl, 0, []
    payload = b""
    while i < len(buf):
        if buf[i] == 0xFF:
            payload = buf[i + 1:]
            assert payload, "payload marker with no payload"
            break
        d, l = buf[i] >> 4, buf[i] & 15
        i += 1
        for which in (0, 1):
            v = d if which == 0 else l
            if v == 13:
                v = 13 + buf[i]
                i += 1
            elif v == 14:
                v = 269 + struct.unpack(">H", buf[i:i + 2])[0]
                i += 2
            if which == 0:
                d = v
            else:
                l = v
        num += d
        opts.append((num, bytes(buf[i:i + l])))
        i += l
    return dict(type=mtype, code=code, mid=mid, token=bytes(token), opts=opts, payload=bytes(payload))


def opt_values(m, num):
    return [v for n, v in m["opts"] if n == num]


class Server:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.peer = None
        self.mid = 0x2000
        self.log = []

    def recv(self, timeout):
        """The next datagram from the client, or None after timeout s."""
        self.sock.settimeout(timeout)
        try:
            data, addr = self.sock.recvfrom(2048)
        except socket.timeout:
            return None
        if self.peer is None:
            self.peer = addr
        assert addr == self.peer, "datagram from %r, expected %r" % (addr, self.peer)
        m = decode(data)
        m["raw"] = data
        m["at"] = time.monotonic()
        self.log.append(("in", m))
        return m

    def expect(self, timeout, what):
        m = self.recv(timeout)
        assert m is not None, "no %s within %.1f s" % (what, timeout)
        return m

    def answer(self, req, code, options=(), payload=b""):
        self.sock.sendto(encode(ACK, code, req["mid"], req["token"], options, payload), self.peer)

    def request(self, code, path, ct=None, payload=b"", accept=None, token=None):
        self.mid += 1
        token = token or struct.pack(">I", self.mid)
        opts = [(URI_PATH, p.encode()) for p in path.strip("/").split("/")]
        if ct is not None:
            opts.append((CONTENT_FORMAT, bytes([ct]) if ct else b""))
        if accept is not None:
            opts.append((ACCEPT, bytes([accept]) if accept else b""))
        self.sock.sendto(encode(CON, code, self.mid, token, opts, payload), self.peer)
        return self.mid, token

    def call(self, code, path, ct=None, payload=b"", accept=None):
        """Send a request and return the client's piggybacked answer."""
        mid, token = self.request(code, path, ct, payload, accept)
        m = self.expect(5, "answer to %s" % path)
        assert m["type"] == ACK and m["mid"] == mid, "not a piggybacked ACK: %r" % (m,)
        assert m["token"] == token, "token %r, expected %r" % (m["token"], token)
        return m


def check_register(m, lt, loc_payload=b"</1/0>,</3/0>,</4/0>,</6/0>,</3303/0>"):
    assert m["type"] == CON and m["code"] == POST, "Register: %s %s" % (m["type"], code_str(m["code"]))
    assert 1 <= len(m["token"]) <= 8
    # Options in wire order: Uri-Path "rd", Content-Format 40, then the
    # queries in the order ep, lt, lwm2m, b (R3, R9, R16, R17).
    want = [(URI_PATH, b"rd"), (CONTENT_FORMAT, b"\x28"), (URI_QUERY, b"ep=py-dev"),
            (URI_QUERY, b"lt=%d" % lt), (URI_QUERY, b"lwm2m=1.0"), (URI_QUERY, b"b=U")]
    assert m["opts"] == want, "Register options %r" % (m["opts"],)
    assert m["payload"] == loc_payload, "Register payload %r" % (m["payload"],)  # R18: no </0..>
    # The same bytes, encoded independently.
    assert m["raw"] == encode(CON, POST, m["mid"], m["token"], want, loc_payload), "Register bytes"


def check_update(m, loc, queries=()):
    assert m["type"] == CON and m["code"] == POST, "Update: %s" % code_str(m["code"])
    want = [(URI_PATH, s.encode()) for s in loc.split("/")] + [(URI_QUERY, q.encode()) for q in queries]
    assert m["opts"] == want, "Update options %r, expected %r" % (m["opts"], want)
    assert m["payload"] == b"", "Update payload %r" % (m["payload"],)


def check_deregister(m, loc):
    assert m["type"] == CON and m["code"] == DELETE, "De-register: %s" % code_str(m["code"])
    assert m["opts"] == [(URI_PATH, s.encode()) for s in loc.split("/")], m["opts"]
    assert m["payload"] == b""


def main():
    if not os.path.exists(CLIENT):
        print("SKIP: %s not built" % CLIENT)
        return 0
    srv = Server()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen([CLIENT, "--server", "coap://127.0.0.1:%d" % srv.port,
                             "--endpoint", "py-dev", "--lifetime", "10", "--log-level", "debug"],
                            stderr=err)
    try:
        # Register (R2, R3, R12), answered 2.01 with a two-segment location.
        reg = srv.expect(5, "Register")
        check_register(reg, 10)
        srv.answer(reg, CREATED, [(LOCATION_PATH, b"rd"), (LOCATION_PATH, b"py1")])
        t_reg = reg["at"]

        # R5: a bare Update at half of the 10 s lifetime, minus <= 5% jitter.
        upd = srv.expect(8, "Update")
        check_update(upd, "rd/py1")
        dt = upd["at"] - t_reg
        assert 4.2 <= dt <= 5.5, "Update %.2f s after Register, expected ~4.75..5" % dt
        srv.answer(upd, CHANGED)

        # R8: a Write of the Lifetime is answered, then an Update carries lt.
        ans = srv.call(PUT, "/1/0/1", ct=0, payload=b"30")
        assert ans["code"] == CHANGED, code_str(ans["code"])
        upd = srv.expect(3, "Update with lt")
        check_update(upd, "rd/py1", ["lt=30"])
        srv.answer(upd, CHANGED)
        ans = srv.call(GET, "/1/0/1")
        assert ans["code"] == CONTENT and ans["payload"] == b"30", ans
        assert opt_values(ans, CONTENT_FORMAT) == [b""], "text/plain is Content-Format 0"

        # R23: Registration Update Trigger -> 2.04, then a bare Update.
        ans = srv.call(POST, "/1/0/8")
        assert ans["code"] == CHANGED, code_str(ans["code"])
        upd = srv.expect(3, "triggered Update")
        check_update(upd, "rd/py1")
        srv.answer(upd, CHANGED)

        # R19 and R18 on the wire.
        assert srv.call(PUT, "/1/0/0", ct=0, payload=b"7")["code"] == 0x85  # 4.05
        assert srv.call(PUT, "/1/0/1", ct=0, payload=b"0")["code"] == 0x80  # 4.00
        assert srv.call(GET, "/0/0/0")["code"] == 0x81  # 4.01
        assert srv.call(GET, "/9/0")["code"] == 0x84  # 4.04
        ans = srv.call(GET, "/1/0", accept=40)
        assert ans["payload"].startswith(b"</1/0>,</1/0/0>,</1/0/1>"), ans["payload"]

        # R20: Disable for 2 s: answer first, then De-register, then silence.
        assert srv.call(PUT, "/1/0/5", ct=0, payload=b"2")["code"] == CHANGED
        ans = srv.call(POST, "/1/0/4")
        assert ans["code"] == CHANGED
        dereg = srv.expect(3, "De-register after Disable")
        check_deregister(dereg, "rd/py1")
        srv.answer(dereg, DELETED)
        t_dis = time.monotonic()
        srv.request(GET, "/1/0/1")
        m = srv.recv(1.0)
        assert m is None, "client answered while disabled: %r" % (m,)
        reg = srv.expect(4, "Register after the Disable Timeout")
        dt = reg["at"] - t_dis
        assert 1.5 <= dt <= 3.5, "Register %.2f s after Disable, expected ~2" % dt
        check_register(reg, 30)
        srv.answer(reg, CREATED, [(LOCATION_PATH, b"rd"), (LOCATION_PATH, b"py2")])

        # R11: SIGTERM -> De-register -> exit 0.
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        dereg = srv.expect(3, "De-register on SIGTERM")
        check_deregister(dereg, "rd/py2")
        srv.answer(dereg, DELETED)
        rc = proc.wait(timeout=5)
        assert rc == 0, "exit status %d" % rc
        err.seek(0)
        log = err.read().decode(errors="replace")
        for ev in ("event REGISTERED ssid=1 location=rd/py1", "event UPDATED ssid=1",
                   "event WRITTEN ssid=1 path=/1/0/1", "event DEREGISTERED ssid=1",
                   "event DISABLED ssid=1", "event ENABLED ssid=1",
                   "event REGISTERED ssid=1 location=rd/py2"):
            assert ev in log, "stderr lacks %r:\n%s" % (ev, log)
        print("client_python_server: ok")
        return 0
    except AssertionError as e:
        err.seek(0)
        sys.stderr.write(err.read().decode(errors="replace"))
        print("FAIL: %s" % e)
        return 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


if __name__ == "__main__":  # also imported by client_observe.py
    sys.exit(main())
