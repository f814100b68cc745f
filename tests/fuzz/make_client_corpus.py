#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpus of tests/fuzz/fuzz_client.c (see its header for the
input format) into tests/fuzz/corpus/client/. Run from the repository root."""
import os
import struct

OUT = "tests/fuzz/corpus/client"


def opt_bytes(opts, payload=b""):
    out, last = bytearray(), 0
    for num, val in opts:
        d, l = num - last, len(val)
        assert l < 13
        if d < 13:
            out += bytes([(d << 4) | l]) + val
        else:
            out += bytes([(13 << 4) | l, d - 13]) + val
        last = num
    if payload:
        out += b"\xff" + payload
    return bytes(out)


def req(code, path, ct=None, payload=b"", accept=None, mid=0x100, block=None, observe=None,
        query=(), token=b"\xab\xcd"):
    opts = [] if observe is None else [(6, bytes([observe]) if observe else b"")]
    opts += [(11, p.encode()) for p in path.split("/") if p]
    if ct is not None:
        opts.append((12, struct.pack(">H", ct).lstrip(b"\0")))
    opts += [(15, q.encode()) for q in query]
    if accept is not None:
        opts.append((17, struct.pack(">H", accept).lstrip(b"\0")))
    if block is not None:  # (option number 23 or 27, NUM, M, SZX)
        num, n, m, szx = block
        opts.append((num, bytes([(n << 4) | (m << 3) | szx])))
    msg = bytes([0x40 | len(token), code]) + struct.pack(">H", mid) + token + opt_bytes(opts, payload)
    return bytes([0x00, len(msg)]) + msg  # datagram from server 0


REGISTERED = bytes([0x02, 0x41])            # answer server 0 with 2.01


def value(v):                               # /32769/0/0 = v, tether_client_changed()
    return bytes([0x0E, v])


def advance(x):                             # x^2 * 100 ms
    return bytes([0x03, x])
seeds = {
    "read_text": REGISTERED + req(1, "1/0/1"),
    "read_tlv_object": REGISTERED + req(1, "32769", mid=2) + req(1, "3/0", mid=3),
    "discover": REGISTERED + req(1, "1", accept=40) + req(1, "32769/0", accept=40, mid=5),
    "write_lifetime": REGISTERED + req(3, "1/0/1", ct=0, payload=b"60") + bytes([0x02, 0x44]),
    "write_tlv": REGISTERED + req(2, "32769/0", ct=11542,
                                  payload=bytes([0xC1, 0, 5, 0xC2, 1, 1, 2, 0x86, 2, 0x41, 0, 1, 0x41, 1, 2])),
    "create_delete": REGISTERED + req(2, "32769", ct=11542, payload=bytes([0x03, 1, 0xC1, 0, 9]))
                     + req(4, "32769/1", mid=9),
    "disable": REGISTERED + req(3, "1/0/5", ct=0, payload=b"3") + req(2, "1/0/4", mid=7)
               + bytes([0x02, 0x42, 0x03, 0x30]) + req(1, "1/0/1", mid=8) + bytes([0x03, 0x10]),
    "trigger_and_fail": REGISTERED + req(2, "1/0/8") + bytes([0x02, 0x84, 0x03, 0x40, 0x02, 0x41]),
    "binding": REGISTERED + req(3, "1/0/7", ct=0, payload=b"UQ") + bytes([0x02, 0x44])
               + req(3, "1/0/7", ct=0, payload=b"S", mid=11),
    "security": REGISTERED + req(1, "0/0/0") + req(3, "0/0/0", ct=0, payload=b"x", mid=12),
    "block1_write": REGISTERED
                    + req(3, "1/0", ct=11542, payload=bytes([0xC1, 1, 0x78, 0xC1, 2, 5, 0xC1, 3, 0x32,
                                                             0xC1, 5, 0x3C, 0xC1, 6, 1, 0xC2]),
                          block=(27, 0, 1, 0))
                    + req(3, "1/0", ct=11542, payload=bytes([7, ord("U"), ord("Q")]), mid=0x101,
                          block=(27, 1, 0, 0)),
    "block2_read": REGISTERED + req(1, "1/0", block=(23, 0, 0, 0))
                   + req(1, "1/0", block=(23, 1, 0, 0), mid=0x102),
    "lifetimes": REGISTERED + bytes([0x04, 10, 0x03, 0x20, 0x02, 0x44, 0x05, 0x07, 0x03, 0xFF]),
    "observe": REGISTERED + req(3, "32769/0/0", query=["pmin=1", "gt=5", "st=2"])
               + req(1, "32769/0/0", observe=0, mid=0x110, token=b"\x0b")
               + value(3) + value(7) + advance(4) + value(8) + advance(20)
               + req(1, "32769/0/0", observe=1, mid=0x111, token=b"\x0b") + value(1),
    "observe_object": REGISTERED + req(3, "32769", query=["pmax=2"])
                      + req(1, "32769", observe=0, mid=0x120, token=b"\x0c")
                      + req(1, "32769/1", observe=0, mid=0x121, token=b"\x0d", accept=11542)
                      + advance(5) + req(4, "32769/1", mid=0x122) + advance(5)
                      + req(1, "32769", accept=40, mid=0x123),
    "observe_attrs_bad": REGISTERED + req(3, "32769/0/0", query=["lt=9", "gt=5"])
                         + req(3, "32769/0", query=["st=1"], mid=0x131)
                         + req(3, "32769/0/4", query=["gt=1"], mid=0x132)
                         + req(3, "32769/0/0", query=["pmin=9", "pmax=2"], mid=0x133)
                         + req(3, "32769/0/0", query=["pmin"], mid=0x134)
                         + req(1, "32769/0/0", accept=40, mid=0x135),
    "observe_store": REGISTERED + req(1, "32769/0/0", observe=0, mid=0x140, token=b"\x0e")
                     + req(3, "1/0/5", ct=0, payload=b"2", mid=0x141) + req(2, "1/0/4", mid=0x142)
                     + bytes([0x02, 0x42]) + value(1) + advance(3) + value(2) + advance(3)
                     + value(3) + advance(20) + bytes([0x02, 0x41]),
    "queue_mode": REGISTERED + req(3, "1/0/7", ct=0, payload=b"UQ") + bytes([0x02, 0x44])
                  + req(1, "32769/0/0", observe=0, mid=0x150, token=b"\x0f")
                  + advance(40) + req(1, "3/0", mid=0x151) + value(9) + req(1, "3/0", mid=0x152),
    # Content formats beyond TLV: Reads with Accept, Writes and a Create.
    "read_formats": REGISTERED + req(1, "32769", accept=11543) + req(1, "32769/0", accept=110, mid=0x161)
                    + req(1, "32769/0/2", accept=112, mid=0x162) + req(1, "32769/0/0", accept=60, mid=0x163)
                    + req(1, "32769/0/2/0", accept=60, mid=0x164) + req(1, "32769/0", accept=60, mid=0x165),
    "write_json": REGISTERED + req(2, "32769/0", ct=11543,
                                   payload=b'{"bn":"/32769/0/","e":[{"n":"0","v":5},{"n":"1","sv":"AQI="},'
                                           b'{"n":"2/1","v":-3},{"n":"4","sv":"a\\u00e9"}]}'),
    "write_senml_json": REGISTERED + req(2, "32769/1", ct=110,
                                         payload=b'[{"bn":"/32769/1/","n":"0","v":9},{"n":"1","vd":"AQ"},'
                                                 b'{"n":"4","vs":"x"},{"n":"2/0","v":1}]')
                        + req(3, "32769/1/0", ct=110, payload=b'[{"n":"/32769/1/0","v":1.5}]', mid=0x171),
    "write_senml_cbor": REGISTERED + req(2, "32769/0", ct=112,
                                         payload=bytes([0x82, 0xA3, 0x21, 0x69]) + b"/32769/0/"
                                         + bytes([0x00, 0x61, 0x30, 0x02, 0x03,
                                                  0xA2, 0x00, 0x61, 0x34, 0x03, 0x62]) + b"hi"),
    "write_cbor": REGISTERED + req(3, "32769/0/0", ct=60, payload=b"\x38\x63")
                  + req(3, "32769/0/4", ct=60, payload=b"\x62hi", mid=0x181)
                  + req(3, "32769/0/1", ct=60, payload=b"\x42\x01\x02", mid=0x182),
    "create_senml": REGISTERED + req(2, "32769", ct=110, payload=b'[{"bn":"/32769/1/","n":"0","v":4}]')
                    + req(2, "32769", ct=11543, payload=b'{"e":[{"n":"/32769/1/0","v":1}]}', mid=0x191),
}
os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
