# SPDX-License-Identifier: Apache-2.0
"""tetherd under abuse: malformed datagrams, unknown paths (4.04), wrong
methods (4.05), unrecognised critical options (4.02), and floods of
distinct endpoints. After each, the server still serves, and its memory
stays bounded: a second flood after the first expired does not grow the
resident set by more than a small margin, and --max-registrations caps
what a flood can store (5.03 beyond it)."""
import os
import random
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tetherd_harness import (CON, DELETE, GET, NON, POST, PUT, Device, Tetherd,  # noqa: E402
                             code, code_str, decode, encode, fail, path_opts, query_opts)

CREATED = code(2, 1)


def flood(addr, n, prefix, lt, window=256):
    """Register n distinct endpoints as fast as the window allows; returns
    {code: count}."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("127.0.0.1", 0))
    s.settimeout(5)
    pending, codes, sent, mid = {}, {}, 0, random.randrange(65536)
    while sent < n or pending:
        while sent < n and len(pending) < window:
            mid = (mid + 1) & 0xFFFF
            opts = path_opts("rd") + [(12, bytes([40]))] + query_opts("ep=%s%d&lt=%d" % (prefix, sent, lt))
            msg = encode(CON, POST, mid, b"\x01\x02", opts, b"</1/0>,</3/0>,</5/0>")
            pending[mid] = msg
            s.sendto(msg, addr)
            sent += 1
        try:
            data, _ = s.recvfrom(2048)
        except socket.timeout:
            # Retransmit what is missing (UDP may drop under load).
            for msg in pending.values():
                s.sendto(msg, addr)
            continue
        m = decode(data)
        if m and m[2] in pending:
            del pending[m[2]]
            codes[m[1]] = codes.get(m[1], 0) + 1
    s.close()
    return codes


def main():
    d = Tetherd("--log-level", "warn")
    dev = Device(d.addr)
    rng = random.Random(7)

    # Malformed datagrams of every kind; the server must stay up.
    junk = [b"", b"\x00", b"\xff" * 40, b"\x40", b"\x4f\x01\x00\x01",
            b"\x40\x02\x00\x01\xf0", b"\x40\x02\x00\x01\xb5rd", b"\x80\x01\x00\x01",
            b"\x40\x02\x00\x01\xff", b"\x70\x00\x00\x01"]
    for _ in range(2000):
        junk.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80))))
        base = bytearray(encode(CON, POST, rng.randrange(65536), b"\x01",
                                path_opts("rd") + query_opts("ep=x&lt=5"), b"</1/0>"))
        for _ in range(rng.randrange(1, 4)):
            base[rng.randrange(len(base))] = rng.randrange(256)
        junk.append(bytes(base))
    # From a socket of its own: the answers to the junk (RST, 4.xx, R10
    # reads) would fill dev's receive buffer and crowd out what we check.
    junk_dev = Device(d.addr)
    for j in junk:
        junk_dev.raw(j)
    c, loc = dev.register("ep=after-junk&lt=60")
    if c != CREATED:
        fail("register after junk: %s" % code_str(c))
    print("ok   %d malformed or mutated datagrams, then a Register: 2.01" % len(junk))

    # Unknown paths and wrong methods.
    for meth, path, want in ((GET, "", code(4, 4)), (POST, "bs", code(4, 4)),
                             (GET, "rd/x/y", code(4, 4)), (GET, "rd", code(4, 5)),
                             (PUT, "rd", code(4, 5)), (DELETE, "rd", code(4, 5)),
                             (GET, loc, code(4, 5)), (PUT, loc, code(4, 5))):
        m = dev.request(meth, path)
        if m[1] != want:
            fail("%s /%s: %s, want %s" % (code_str(meth), path, code_str(m[1]), code_str(want)))
    print("ok   unknown paths 4.04, wrong methods 4.05")

    # A NON Register gets a NON answer.
    dev.raw(encode(NON, POST, 4242, b"\x07", path_opts("rd") + query_opts("ep=non&lt=60"),
                   b"</3/0>"))
    dev.s.settimeout(3)
    data, _ = dev.s.recvfrom(2048)
    m = decode(data)
    if m[0] != NON or m[1] != CREATED or m[3] != b"\x07":
        fail("NON register answered %r" % (m,))
    print("ok   NON Register answered NON 2.01")

    # Flood: 20,000 distinct endpoints with a 2-second lifetime.
    n = 20000
    rss0 = d.rss_kib()
    t = time.monotonic()
    codes = flood(d.addr, n, "flood-a-", 2)
    dt = time.monotonic() - t
    if codes.get(CREATED) != n:
        fail("flood: %r" % {code_str(k): v for k, v in codes.items()})
    rss1 = d.rss_kib()
    print("ok   %d endpoints registered in %.2fs; RSS %d -> %d KiB" % (n, dt, rss0, rss1))
    c, _ = dev.register("ep=during&lt=60")
    if c != CREATED:
        fail("register after flood: %s" % code_str(c))
    time.sleep(3)  # all expire (R6)
    codes = flood(d.addr, n, "flood-b-", 2)
    if codes.get(CREATED) != n:
        fail("second flood: %r" % codes)
    rss2 = d.rss_kib()
    print("ok   second flood after expiry; RSS %d KiB" % rss2)
    # The second flood reuses what the first freed: no growth beyond noise.
    if rss2 > rss1 + 2048:
        fail("memory grew from %d to %d KiB across floods" % (rss1, rss2))
    if dev.request(POST, loc)[1] != code(2, 4):
        fail("update after floods")
    print("ok   memory bounded across floods, server still serving")
    if d.stop() != 0:
        fail("tetherd did not stop cleanly")

    # A registration cap bounds what a flood can store.
    d = Tetherd("--log-level", "warn", "--max-registrations", "1000")
    codes = flood(d.addr, 1500, "cap-", 60)
    if codes.get(CREATED) != 1000 or codes.get(code(5, 3)) != 500:
        fail("capped flood: %r" % {code_str(k): v for k, v in codes.items()})
    print("ok   --max-registrations 1000: 1000 x 2.01, 500 x 5.03")
    if d.stop(signal.SIGINT) != 0:
        fail("tetherd did not stop cleanly on SIGINT")
    print("tetherd_robustness: ok")


if __name__ == "__main__":
    main()
