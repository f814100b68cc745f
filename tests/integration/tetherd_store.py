# SPDX-License-Identifier: Apache-2.0
"""tetherd's registration store (--store sqlite, --data, --sync), end to end:

1. A restart (SIGTERM) keeps every registration: tether-bench fills some,
   python devices register others; after the restart tetherd says
   "restored N registrations", and each device's Update to its old location
   is answered 2.04 with no new Register. A registration whose lifetime ran
   out while tetherd was down is removed on start (4.04 for its Update, its
   row deleted), and one restored with little lifetime left expires when it
   would have, not a full lifetime after the restart; /metrics shows the
   store's figures (tether_store_*).
2. kill -9 under load (tether-bench sending Updates): every registration
   acknowledged longer ago than the durability window (100 ms) is back.
3. --sync always: kill -9 right after the last 2.01 / 2.04 arrived loses
   nothing, not even the newest Update's lifetime.
4. Unusable --data (a file, below a file, not writable, another tetherd's,
   a database of an unknown schema version, not a database): exit 1 and one
   sentence naming the problem.

Every tetherd listens on a free loopback port and is killed by PID at the
end (tetherd_harness). Python stdlib only (sqlite3 reads the rows)."""
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tetherd_harness import BUILD, POST, Device, Tetherd, fail  # noqa: E402

CHANGED, NOT_FOUND, CREATED = 0x44, 0x84, 0x41
BENCH = os.path.join(BUILD, "tether-bench")
TETHERD = os.path.join(BUILD, "tetherd")
WINDOW_S = 0.100  # TETHERD_STORE_WINDOW_MS


def rows(data):
    con = sqlite3.connect(os.path.join(data, "tether.db"))
    try:
        return {r[0]: r for r in con.execute(
            "SELECT endpoint, location_id, lifetime, updated_ms FROM registrations")}
    finally:
        con.close()


def restored(d):
    m = d.wait_line(r"restored (\d+) registrations \((\d+) expired removed\)", 10)
    return int(m.group(1)), int(m.group(2))


def start(data, *extra):
    return Tetherd("--store", "sqlite", "--data", data, *extra)


def register(dev, ep, lt):
    c, loc = dev.register("ep=%s&lt=%d" % (ep, lt))
    if c != CREATED:
        fail("Register of %s answered %#x" % (ep, c))
    return loc


def update(dev, d, loc, query=""):
    dev.server = d.addr  # the restarted server listens elsewhere
    return dev.request(POST, loc, query)[1]


def bench_fill(d, n, lifetime=3600):
    r = subprocess.run([BENCH, "--server", "127.0.0.1:%d" % d.port, "--registrations", str(n),
                        "--clients", "10", "--lifetime", str(lifetime), "--quiet"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0 or "registrations=%d" % n not in r.stdout:
        fail("tether-bench fill: %s %s" % (r.stdout, r.stderr))


def test_restart(tmp):
    data = os.path.join(tmp, "restart")
    d = start(data)
    bench_fill(d, 300)
    devs = []
    for i in range(5):
        dev = Device(d.addr)
        devs.append((dev, "keep-%d" % i, register(dev, "keep-%d" % i, 600)))
    short = Device(d.addr)
    short_loc = register(short, "short", 2)
    t_short = time.monotonic()
    soon = Device(d.addr)
    soon_loc = register(soon, "soon", 6)
    t_soon = time.monotonic()
    if d.stop() != 0:
        fail("tetherd did not exit 0 on SIGTERM")
    r = rows(data)
    if len(r) != 307:
        fail("%d rows after a clean stop, want 307" % len(r))

    # Down for longer than "short" lives.
    time.sleep(max(0.0, t_short + 2.2 - time.monotonic()))
    d = start(data, "--http", "127.0.0.1:0")
    ui = d.wait_line(r"web UI at (http://\S+/)", 10).group(1)
    n, x = restored(d)
    if (n, x) != (306, 1):
        fail("restored %d, %d expired; want 306, 1" % (n, x))
    for dev, ep, loc in devs:
        if update(dev, d, loc) != CHANGED:
            fail("Update of %s to its old location %s not 2.04 after the restart" % (ep, loc))
    if update(short, d, short_loc) != NOT_FOUND:
        fail("the expired registration answered its Update")
    # /metrics carries the store's figures once something was committed.
    deadline = time.monotonic() + 5
    while True:
        text = urllib.request.urlopen(ui + "metrics", timeout=5).read().decode()
        m = re.search(r"^tether_store_commits_total (\d+)$", text, re.M)
        if m is None:
            fail("/metrics has no tether_store_commits_total:\n" + text[-2000:])
        if int(m.group(1)) > 0 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    for name in ("tether_store_pending", "tether_store_lag_seconds", "tether_store_rows_total",
                 "tether_store_errors_total"):
        if not re.search(r"^%s [0-9.]+$" % name, text, re.M):
            fail("/metrics has no %s" % name)
    if int(m.group(1)) == 0:
        fail("no store commit reported by /metrics after 5 Updates")
    if "short" in rows(data):
        fail("the expired registration's row was not deleted")
    # "soon" had 6 s from its Register: it expires then, not 6 s after the restart.
    m = d.wait_line(r"event=expired ep=soon ", 10)
    late = time.monotonic() - (t_soon + 6)
    if not -0.5 < late < 1.0:
        fail("restored 'soon' expired %.2f s off its original deadline" % late)
    del m
    d.stop()
    print("restart: ok (306 restored, 1 expired removed, Updates 2.04, expiry on time)")


def test_kill9_under_load(tmp):
    data = os.path.join(tmp, "kill9")
    d = start(data)
    bench_fill(d, 200)
    load = subprocess.Popen([BENCH, "--server", "127.0.0.1:%d" % d.port, "--clients", "40",
                             "--duration", "8", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # the bench's devices have registered and send Updates
        devs = []
        for i in range(60):
            dev = Device(d.addr)
            devs.append((dev, register(dev, "k9-%d" % i, 600)))
        acked = time.monotonic()
        time.sleep(WINDOW_S * 4)  # acknowledged well over the window ago
        if load.poll() is not None:
            fail("tether-bench stopped early: no load at the kill")
        stats_before = time.monotonic() - acked
        d.stop(signal.SIGKILL)
    finally:
        load.kill()
        load.wait()
    d = start(data)
    n, _ = restored(d)
    if n < 200 + 40 + 60:
        fail("kill -9 %.2f s after the last 2.01 lost registrations: restored %d of %d"
             % (stats_before, n, 300))
    for dev, loc in devs:
        if update(dev, d, loc) != CHANGED:
            fail("Update to %s after kill -9 not 2.04" % loc)
    d.stop()
    print("kill -9 under load: ok (%d restored, none lost)" % n)


def test_sync_always(tmp):
    data = os.path.join(tmp, "always")
    d = start(data, "--sync", "always")
    d.wait_line(r"sync always", 5)
    load = subprocess.Popen([BENCH, "--server", "127.0.0.1:%d" % d.port, "--clients", "20",
                             "--duration", "6", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.8)
        devs = []
        for i in range(30):
            dev = Device(d.addr)
            devs.append((dev, register(dev, "al-%d" % i, 600)))
        last = devs[-1]
        if update(last[0], d, last[1], "lt=777") != CHANGED:
            fail("Update lt=777 not 2.04")
        d.stop(signal.SIGKILL)  # at once: nothing acknowledged may be missing
    finally:
        load.kill()
        load.wait()
    r = rows(data)
    missing = [i for i in range(30) if "al-%d" % i not in r]
    if missing:
        fail("--sync always lost acknowledged registrations: %s" % missing)
    if r["al-29"][2] != 777:
        fail("--sync always lost the acknowledged Update's lifetime: %s" % (r["al-29"],))
    d = start(data, "--sync", "always")
    n, _ = restored(d)
    for dev, loc in devs:
        if update(dev, d, loc) != CHANGED:
            fail("Update to %s not 2.04" % loc)
    d.stop()
    print("--sync always: ok (30 of 30 and the last Update kept after kill -9; %d restored)" % n)


def bad_data(args, want):
    r = subprocess.run([TETHERD, "--coap", "127.0.0.1:0", "--http", "off"] + args, capture_output=True,
                       text=True, timeout=20)
    if r.returncode != 1 or want not in r.stderr or len(r.stderr.strip().splitlines()) != 1:
        fail("%s: exit %d, stderr %r; want exit 1 and %r" % (args, r.returncode, r.stderr, want))


def test_bad_data(tmp):
    f = os.path.join(tmp, "a-file")
    open(f, "w").close()
    bad_data(["--data", f], "not a directory")
    bad_data(["--data", os.path.join(f, "sub")], "cannot create the directory")
    if os.geteuid() != 0:  # root writes anywhere
        ro = os.path.join(tmp, "ro")
        os.mkdir(ro, 0o500)
        bad_data(["--data", ro], "not writable")
    v = os.path.join(tmp, "v99")
    os.mkdir(v)
    con = sqlite3.connect(os.path.join(v, "tether.db"))
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    bad_data(["--data", v], "schema version 99")
    g = os.path.join(tmp, "garbage")
    os.mkdir(g)
    with open(os.path.join(g, "tether.db"), "wb") as fh:
        fh.write(b"this is not an SQLite database, not at all" * 100)
    bad_data(["--data", g], "not a database")
    busy = os.path.join(tmp, "busy")
    d = start(busy)
    bad_data(["--data", busy], "in use by another tetherd")
    d.stop()
    print("bad --data: ok")


def main():
    for b in (TETHERD, BENCH):
        if not os.path.exists(b):
            fail("missing %s" % b)
    with tempfile.TemporaryDirectory() as tmp:
        test_bad_data(tmp)
        test_restart(tmp)
        test_kill9_under_load(tmp)
        test_sync_always(tmp)
    print("tetherd_store: ok")


if __name__ == "__main__":
    main()
