# SPDX-License-Identifier: Apache-2.0
"""R10 against the real tetherd: a stdlib Python device registers without
lt and answers the server's lifetime read (text for /1/0/1, TLV for /1) or
write; tetherd's log shows the lifetime it adopted, and R6 then applies to
that lifetime. Also checks that the server's requests come from the socket
the device talks to (R14) and that --log-format json lines parse."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tetherd_harness import (CON, GET, PUT, Device, Tetherd, code, fail,  # noqa: E402
                             opt_path, opt_uint, tlv, tlv_int)

CONTENT, CHANGED, NOT_FOUND = code(2, 5), code(2, 4), code(4, 4)
TLV = 11542


def server_instance(iid, ssid, lifetime):
    return tlv(0, iid, tlv(3, 0, tlv_int(ssid)) + tlv(3, 1, tlv_int(lifetime)) +
               tlv(3, 6, b"\x01") + tlv(3, 7, b"U"))


def main():
    d = Tetherd("--ssid", "2")

    # Read of /1/0/1, text answer.
    dev = Device(d.addr)
    c, loc = dev.register("ep=r10-text")
    if c != code(2, 1):
        fail("register: %d" % c)
    req = dev.server_request()
    if req[0] != CON or req[1] != GET or opt_path(req) != "1/0/1":
        fail("expected CON GET /1/0/1, got type %d code %d path %s" % (req[0], req[1], opt_path(req)))
    dev.answer(req, CONTENT, 0, b"321")
    d.wait_line(r"event=lifetime ep=r10-text id=\S+ addr=127\.0\.0\.1:\d+ via=read status=ok code=2\.05 lt=321")
    print("ok   read /1/0/1 (text): lifetime 321 adopted")

    # It came out of the socket the device talks to (R14: NAT-friendly).
    if dev.last_src != d.addr:
        fail("the read came from %r, not from the server's %r" % (dev.last_src, d.addr))
    print("ok   the read came from the server's own address %s:%d" % d.addr)

    # Two instances: GET /1 with Accept TLV; the one with SSID 2 wins.
    dev2 = Device(d.addr)
    c, _ = dev2.register("ep=r10-tlv", b"</1/0>,</1/1>,</3/0>")
    req = dev2.server_request()
    if req[1] != GET or opt_path(req) != "1" or opt_uint(req, 17) != TLV:
        fail("expected GET /1 Accept 11542, got %s accept %s" % (opt_path(req), opt_uint(req, 17)))
    dev2.answer(req, CONTENT, TLV, server_instance(0, 1, 100) + server_instance(1, 2, 654))
    d.wait_line(r"event=lifetime ep=r10-tlv .*via=read status=ok .*lt=654")
    print("ok   read /1 (TLV, two instances): lifetime 654 of SSID 2 adopted")

    # A refused read leaves the default and is logged as a warning.
    dev3 = Device(d.addr)
    dev3.register("ep=r10-fail")
    req = dev3.server_request()
    dev3.answer(req, NOT_FOUND)
    d.wait_line(r"WARN .*event=lifetime ep=r10-fail .*status=.* code=4\.04 lt=86400")
    print("ok   refused read: default lifetime kept, warning logged")

    # R6 on the adopted lifetime: 1 s read, expired about a second after
    # the Register.
    dev4 = Device(d.addr)
    t0 = time.monotonic()
    dev4.register("ep=r10-short")
    req = dev4.server_request()
    dev4.answer(req, CONTENT, 0, b"1")
    d.wait_line(r"event=lifetime ep=r10-short .*lt=1$")
    d.wait_line(r"event=expired ep=r10-short ", 3)
    dt = time.monotonic() - t0
    if not 0.9 <= dt <= 2.2:
        fail("expired after %.2fs, want about 1s" % dt)
    print("ok   adopted lifetime of 1 s expired after %.2fs" % dt)

    rc = d.stop()
    if rc != 0:
        fail("tetherd exited %d after SIGTERM" % rc)

    # Write strategy, JSON log.
    d = Tetherd("--lifetime-sync", "write", "--default-lifetime", "777", "--log-format", "json")
    dev = Device(d.addr)
    dev.register("ep=r10-write", b"</1/3>,</3/0>")
    req = dev.server_request()
    if req[1] != PUT or opt_path(req) != "1/3/1" or opt_uint(req, 12) != 0 or req[5] != b"777":
        fail("expected PUT /1/3/1 text 777, got code %d %s cf %s %r" %
             (req[1], opt_path(req), opt_uint(req, 12), req[5]))
    dev.answer(req, CHANGED)
    m = d.wait_line(r'"event":"lifetime".*"ep":"r10-write"')
    ev = json.loads(m.string)
    if ev["via"] != "write" or ev["status"] != "ok" or ev["lt"] != 777 or ev["level"] != "info":
        fail("lifetime event: %r" % ev)
    print("ok   write /1/3/1 = 777, JSON event %s" % m.string)
    rc = d.stop()
    for line in d.lines:
        try:
            json.loads(line)
        except ValueError:
            fail("not JSON: %r" % line)
    reg = [json.loads(l) for l in d.lines if '"event":"registered"' in l][0]
    if reg["objects"] != ["/1/3", "/3/0"] or reg["lwm2m"] != "1.0" or reg["b"] != "U":
        fail("registered event: %r" % reg)
    if rc != 0:
        fail("tetherd exited %d after SIGTERM" % rc)
    print("tetherd_r10_device: ok")


if __name__ == "__main__":
    main()
