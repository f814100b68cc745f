#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tether-client against tetherd on loopback, both real binaries: two
tetherd instances, one tether-client with a --server for each (R12: a
Register with every Server Object Instance). tetherd's event log must show
each Register with the client's lifetime, binding, version and object list
(R3, R9, R18: no /0), a bare Update before the 10 s lifetime runs out (R5),
and the De-register when the client gets SIGTERM (R11); the client exits 0.
Skipped when tetherd is not built."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

BUILD = os.environ.get("TETHER_BUILD_DIR", "build")
TETHERD = os.path.join(BUILD, "tetherd")
CLIENT = os.path.join(BUILD, "tether-client")
children = []


def kill_all():
    for p in children:
        if p.poll() is None:
            p.kill()
            p.wait()


class Proc:
    """A child whose stderr lines are collected as they come."""

    def __init__(self, cmd):
        self.p = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
        children.append(self.p)
        self.lines, self.cv = [], threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.p.stderr:
            with self.cv:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cv.notify_all()

    def wait(self, pattern, timeout):
        rx, end = re.compile(pattern), time.monotonic() + timeout
        with self.cv:
            while True:
                for line in self.lines:
                    m = rx.search(line)
                    if m:
                        return m
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError("no line matching %r within %.0f s; got:\n%s"
                                         % (pattern, timeout, "\n".join(self.lines[-30:])))
                self.cv.wait(left)


def start_tetherd():
    d = Proc([TETHERD, "--coap", "127.0.0.1:0", "--http", "off", "--store", "memory"])
    port = int(d.wait(r"listening on \S+ \(port (\d+)\)", 10).group(1))
    d.wait(r"ready", 10)
    return d, port


def main():
    if not (os.path.exists(TETHERD) and os.path.exists(CLIENT)):
        print("SKIP: tetherd or tether-client not built")
        return 0
    try:
        (d1, p1), (d2, p2) = start_tetherd(), start_tetherd()
        c = Proc([CLIENT, "--server", "coap://127.0.0.1:%d" % p1, "--server",
                  "coap://127.0.0.1:%d" % p2, "--endpoint", "tc-dev", "--lifetime", "10",
                  "--ssid", "7"])
        reg = r"event=registered ep=tc-dev id=\S+ addr=127\.0\.0\.1:\d+ lt=10 b=U lwm2m=1\.0 " \
              r"objects=</1/0>,</1/1>,</3/0>,</4/0>,</6/0>,</3303/0>"
        for d in (d1, d2):
            d.wait(reg, 10)
        c.wait(r"event REGISTERED ssid=7 location=\S+", 5)
        c.wait(r"event REGISTERED ssid=8 location=\S+", 5)
        print("ok   registered with both servers (ssid 7 and 8)")
        t0 = time.monotonic()
        for d in (d1, d2):
            d.wait(r"event=updated ep=tc-dev .*lt=10 b=U changed=none", 8)
        assert time.monotonic() - t0 < 8
        c.wait(r"event UPDATED ssid=7", 2)
        print("ok   bare Update before the 10 s lifetime ran out, on both")
        c.p.send_signal(signal.SIGTERM)
        for d in (d1, d2):
            d.wait(r"event=deregistered ep=tc-dev", 5)
        rc = c.p.wait(timeout=6)
        assert rc == 0, "tether-client exited %d" % rc
        for d in (d1, d2):
            assert not any("event=expired" in l for l in d.lines), "a registration expired"
        print("ok   SIGTERM: De-register from both, exit 0")
        return 0
    except AssertionError as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        kill_all()


if __name__ == "__main__":
    sys.exit(main())
