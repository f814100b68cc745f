#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""R20 + R21 against the real binaries: tetherd observes tether-client's
temperature (/3303/0/5700, moving every 0.5 s), then Executes Disable
(/1/0/4) with a Disable Timeout (/1/0/5) of 3 s. The client answers,
de-registers and stays silent, storing notifications (/1/0/6 true, the
default); when it registers again they reach tetherd at once, on the same
observation: a burst of NOTIFICATION events on the event stream right
after the new REGISTRATION, no OBSERVE_END, and the observation still
counted (tether_observations 1). With /1/0/6 false nothing is stored: no
burst, and the observation still carries on with fresh values. Every
process is killed by PID at the end."""
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tetherd_harness import BUILD, Tetherd, _children, fail  # noqa: E402

CLIENT = os.path.join(BUILD, "tether-client")
TETHERD = os.path.join(BUILD, "tetherd")
PERIOD_MS = 500
DISABLE_S = 3


def ok(msg):
    print("ok   " + msg, flush=True)


def check(cond, msg):
    if not cond:
        fail(msg)


def call(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else b""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data if
                                 method != "GET" else None, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def metric(port, name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return None


class Events:
    """GET /api/event on a thread; each event with its arrival time."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.conn.request("GET", "/api/event")
        self.resp = self.conn.getresponse()
        check(self.resp.status == 200, "event stream: HTTP %d" % self.resp.status)
        self.events = []
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        name, data = None, []
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    break
                line = line.decode().rstrip("\r\n")
                with self.cv:
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: "):
                        data.append(line[6:])
                    elif line == "" and name is not None:
                        self.events.append((name, json.loads("\n".join(data)), time.monotonic()))
                        name, data = None, []
                        self.cv.notify_all()
        except Exception:
            pass

    def wait(self, name, pred=lambda d: True, timeout=10.0, start=0):
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for i, (n, d, t) in enumerate(self.events[start:], start):
                    if n == name and pred(d):
                        return i, d, t
                left = deadline - time.monotonic()
                if left <= 0:
                    fail("no %s event within %.0f s; saw %s" %
                         (name, timeout, [n for n, _, _ in self.events[start:]]))
                self.cv.wait(left)

    def since(self, i):
        with self.cv:
            return list(self.events[i:])

    def close(self):
        self.conn.close()


def run(storing):
    d = Tetherd("--http", "127.0.0.1:0")
    port = int(d.wait_line(r"web UI at http://127\.0\.0\.1:(\d+)/", 5).group(1))
    ev = Events(port)
    ep = "r21-%s" % ("on" if storing else "off")
    client = subprocess.Popen([CLIENT, "--server", "coap://127.0.0.1:%d" % d.port, "--endpoint",
                               ep, "--lifetime", "60", "--sensor-period", str(PERIOD_MS)],
                              stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    _children.append(client)
    ev.wait("REGISTRATION", lambda x: x["endpoint"] == ep)
    base = "/api/clients/" + ep
    for rid, val in ((5, DISABLE_S), (6, storing)):
        st, j = call(port, "PUT", "%s/1/0/%d" % (base, rid),
                     {"kind": "singleResource", "id": rid, "value": val})
        check(st == 200 and j["status"] == "CHANGED", "write /1/0/%d: %s %r" % (rid, st, j))
    st, j = call(port, "POST", base + "/3303/0/5700/observe")
    check(st == 200 and j["status"] == "CONTENT", "observe: %s %r" % (st, j))
    i, _, _ = ev.wait("NOTIFICATION", lambda x: x["ep"] == ep, timeout=10)
    ev.wait("NOTIFICATION", lambda x: x["ep"] == ep, timeout=10, start=i + 1)
    ok("%s: observing /3303/0/5700, notifications flow" % ep)

    st, j = call(port, "POST", base + "/1/0/4")
    check(st == 200 and j["status"] == "CHANGED", "execute Disable: %s %r" % (st, j))
    i_dereg, _, t_dereg = ev.wait("DEREGISTRATION", lambda x: x["endpoint"] == ep)
    i_reg, _, t_reg = ev.wait("REGISTRATION", lambda x: x["endpoint"] == ep, timeout=DISABLE_S + 15,
                              start=i_dereg)
    check(t_reg - t_dereg >= DISABLE_S - 0.5, "registered again after %.1f s, Disable Timeout %d s"
          % (t_reg - t_dereg, DISABLE_S))
    ok("%s: Disable: de-registered, silent %.1f s, registered again" % (ep, t_reg - t_dereg))
    time.sleep(2 * PERIOD_MS / 1000.0 + 0.5)
    after = [(n, x, t) for n, x, t in ev.since(i_reg) if x.get("ep", x.get("endpoint")) == ep or
             n in ("NOTIFICATION", "OBSERVE_END")]
    notes = [(x, t) for n, x, t in after if n == "NOTIFICATION"]
    check(not any(n == "OBSERVE_END" for n, _, _ in ev.since(0)), "an OBSERVE_END came")
    check(not any(n == "NOTIFICATION" and x.get("ep") == ep and t_dereg < t < t_reg
                  for n, x, t in ev.since(i_dereg)), "a notification while disabled")
    burst = [x for x, t in notes if t - t_reg < 0.25]
    seqs = [x["seq"] for x, _ in notes if "seq" in x]
    check(seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "seq out of order: %r" % seqs)
    if storing:
        check(len(burst) >= 3, "only %d notifications right after the Register (stored ones "
              "expected): %r" % (len(burst), burst))
    else:
        check(len(burst) <= 2, "%d notifications right after the Register with storing off"
              % len(burst))
    check(len(notes) > len(burst), "no notification after the burst: the observation stopped")
    check(metric(port, "tether_observations") == 1, "tether_observations is not 1")
    ok("%s: %d notification(s) at once after the Register, %d in all since, in order, no "
       "OBSERVE_END; still observing" % (ep, len(burst), len(notes)))
    client.terminate()
    client.wait(10)
    ev.close()
    check(d.stop() == 0, "tetherd did not stop cleanly")


def main():
    if not (os.path.exists(TETHERD) and os.path.exists(CLIENT)):
        print("SKIP: tetherd or tether-client not built")
        return 0
    run(True)
    run(False)
    print("r21_disable_storing: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
