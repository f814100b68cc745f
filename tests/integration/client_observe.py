#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tether-client's information reporting and queue mode over real UDP,
against the independent Python LwM2M server of client_python_server.py
(its own CoAP codec). The client runs with binding UQ, a 2 s awake window,
a lifetime of 10 s and its temperature moving every 50 ms:
  - Discover shows /3303/0/5700; Write-Attributes pmin=1 is 2.04 and shows
    in Discover;
  - Observe /3303/0/5700 answers 2.05 with Observe and a value in Cel;
    notifications follow: same token, growing Observe values, text/plain,
    a number, at least pmin apart;
  - R24: with /1/0/3 = 1 an Observe of /3303/0/5701 (which never changes)
    notifies "Cel" about every second; Observe 1 ends it;
  - an RST against a NON notification ends the observation;
  - queue mode: 2 s after the last exchange the client stops listening (a
    GET gets no answer), and its next Update wakes it (a GET is answered)."""
import os
import subprocess
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from client_python_server import (ACK, CHANGED, CLIENT, CON, CONTENT, CONTENT_FORMAT, CREATED,  # noqa: E402
                                  GET, LOCATION_PATH, NON, PUT, RST, URI_PATH, URI_QUERY, Server,
                                  code_str, encode, opt_values)

OBSERVE = 6


def uint(b):
    return int.from_bytes(b, "big") if b else 0


def send(srv, mtype, code, path, token, observe=None, queries=(), ct=None, payload=b""):
    srv.mid += 1
    opts = []
    if observe is not None:
        opts.append((OBSERVE, bytes([observe]) if observe else b""))
    opts += [(URI_PATH, p.encode()) for p in path.strip("/").split("/")]
    if ct is not None:
        opts.append((CONTENT_FORMAT, bytes([ct]) if ct else b""))
    opts += [(URI_QUERY, q.encode()) for q in queries]
    srv.sock.sendto(encode(mtype, code, srv.mid, token, opts, payload), srv.peer)
    return srv.mid


def call(srv, code, path, token, **kw):
    mid = send(srv, CON, code, path, token, **kw)
    while True:
        m = srv.expect(3, "answer to %s" % path)
        if m["type"] == ACK and m["mid"] == mid:
            assert m["token"] == token
            return m
        handle_other(srv, m)


def handle_other(srv, m):
    """Answer what the client may send meanwhile: Updates, CON notifications."""
    if m["type"] == CON and m["code"] == 0x02:  # an Update
        srv.answer(m, CHANGED)
    elif m["type"] == CON:
        srv.sock.sendto(encode(ACK, 0, m["mid"]), srv.peer)


def notifications(srv, token, seconds):
    """Every notification with token within seconds (others are answered)."""
    out, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        m = srv.recv(max(0.01, end - time.monotonic()))
        if m is None:
            break
        if m["token"] == token and m["code"] == CONTENT and m["type"] in (CON, NON):
            out.append(m)
            if m["type"] == CON:
                srv.sock.sendto(encode(ACK, 0, m["mid"]), srv.peer)
        else:
            handle_other(srv, m)
    return out


def main():
    if not os.path.exists(CLIENT):
        print("SKIP: %s not built" % CLIENT)
        return 0
    srv = Server()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen([CLIENT, "--server", "coap://127.0.0.1:%d" % srv.port,
                             "--endpoint", "obs-dev", "--lifetime", "10", "--binding", "UQ",
                             "--awake-window", "2", "--sensor-period", "50",
                             "--log-level", "debug"], stderr=err)
    try:
        reg = srv.expect(5, "Register")
        assert reg["payload"] == b"</1/0>,</3/0>,</4/0>,</6/0>,</3303/0>", reg["payload"]
        assert b"b=UQ" in opt_values(reg, URI_QUERY)
        srv.answer(reg, CREATED, [(LOCATION_PATH, b"rd"), (LOCATION_PATH, b"o1")])

        m = call(srv, GET, "/3303/0", b"d1", queries=())
        m = call(srv, PUT, "/3303/0/5700", b"wa", queries=("pmin=1",))
        assert m["code"] == CHANGED, code_str(m["code"])
        srv.mid += 1
        srv.sock.sendto(encode(CON, GET, srv.mid, b"dd", [(URI_PATH, b"3303"), (URI_PATH, b"0"),
                                                          (URI_PATH, b"5700"), (17, b"\x28")]),
                        srv.peer)
        m = srv.expect(3, "Discover")
        assert m["payload"] == b"</3303/0/5700>;pmin=1", m["payload"]
        print("ok   Write-Attributes pmin=1 shows in Discover")

        tok = b"\x0b\x5e"
        m = call(srv, GET, "/3303/0/5700", tok, observe=0)
        assert m["code"] == CONTENT, code_str(m["code"])
        seq = uint(opt_values(m, OBSERVE)[0])
        assert opt_values(m, CONTENT_FORMAT) == [b""]
        v = float(m["payload"])
        assert 18 <= v <= 26, v
        got = notifications(srv, tok, 3.6)
        assert len(got) >= 2, "only %d notifications in 3.6 s" % len(got)
        last_at = m["at"]
        for n in got:
            s = uint(opt_values(n, OBSERVE)[0])
            assert s > seq, "Observe %d after %d" % (s, seq)
            seq = s
            assert opt_values(n, CONTENT_FORMAT) == [b""]
            assert 18 <= float(n["payload"]) <= 26
            assert n["at"] - last_at >= 0.9, "notifications %.2f s apart, pmin 1" % (n["at"] - last_at)
            last_at = n["at"]
        print("ok   Observe /3303/0/5700: %d notifications, pmin respected" % len(got))

        # RST against the last NON notification ends the observation.
        n = got[-1]
        assert n["type"] == NON
        srv.sock.sendto(encode(RST, 0, n["mid"]), srv.peer)
        rest = notifications(srv, tok, 1.5)
        assert len(rest) <= 1, "%d notifications after the RST" % len(rest)  # one may cross it
        print("ok   RST cancels the observation")

        # R24: the default maximum period applies to an observation without pmax.
        assert call(srv, PUT, "/1/0/3", b"p3", ct=0, payload=b"1")["code"] == CHANGED
        tok2 = b"\x0b\x5f"
        m = call(srv, GET, "/3303/0/5701", tok2, observe=0)
        assert m["code"] == CONTENT and m["payload"] == b"Cel"
        got = notifications(srv, tok2, 2.6)
        assert len(got) >= 2 and all(g["payload"] == b"Cel" for g in got), got
        m = call(srv, GET, "/3303/0/5701", tok2, observe=1)
        assert m["code"] == CONTENT and not opt_values(m, OBSERVE)
        assert notifications(srv, tok2, 1.5) == []
        assert call(srv, PUT, "/1/0/3", b"p4", ct=0, payload=b"0")["code"] == CHANGED
        print("ok   R24: /1/0/3 = 1 gives a notification a second; Observe 1 ends it")

        # Queue mode: silent for 2 s (no Update meanwhile: they come every ~5 s).
        t_quiet = time.monotonic()
        while True:
            m = srv.recv(2.4)
            if m is None:
                break
            handle_other(srv, m)
            t_quiet = time.monotonic()
        send(srv, CON, GET, "/3/0/0", b"q1")
        m = srv.recv(1.0)
        while m is not None and m["type"] == CON and m["code"] == 0x02:  # an Update woke it
            srv.answer(m, CHANGED)
            m = None
            send(srv, CON, GET, "/3/0/0", b"q2")
            m = srv.recv(1.0)
            assert m is not None and m["type"] == ACK, "awake after the Update, no answer"
            print("ok   (an Update came first; answered while awake)")
            break
        else:
            assert m is None, "answered while asleep: %r" % (m,)
            print("ok   queue mode: asleep %.1f s after the last exchange, GET dropped"
                  % (time.monotonic() - t_quiet))
            upd = srv.expect(8, "the Update that wakes it")
            assert upd["type"] == CON and upd["code"] == 0x02
            srv.answer(upd, CHANGED)
            m = call(srv, GET, "/3/0/0", b"q3")
            assert m["code"] == CONTENT and m["payload"] == b"Tether", m
            print("ok   the Update woke it: GET answered")

        proc.terminate()
        proc.wait(timeout=8)
        err.seek(0)
        log = err.read().decode(errors="replace")
        for ev in ("event OBSERVED ssid=1 path=/3303/0/5700", "event OBSERVE_CANCELLED ssid=1",
                   "event SLEEPING ssid=1", "event AWAKE ssid=1"):
            assert ev in log, "stderr lacks %r" % ev
        print("client_observe: ok")
        return 0
    except AssertionError as e:
        err.seek(0)
        sys.stderr.write(err.read().decode(errors="replace")[-6000:])
        print("FAIL: %s" % e)
        return 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
