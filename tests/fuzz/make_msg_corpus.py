#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Write the seed corpora of fuzz_msg and fuzz_msg_roundtrip.

Realistic LwM2M traffic (Register, Update, De-register, Read, Observe,
block-wise, Empty ACK/RST/ping), encoded here by a second, independent
CoAP encoder (RFC 7252 §3), so replaying fuzz_msg_roundtrip over these seeds
also checks the C builder against it byte for byte. A few malformed seeds
go to corpus/msg only. Re-run after changing a message:

    python3 tests/fuzz/make_msg_corpus.py
"""
import os
import struct

CON, NON, ACK, RST = 0, 1, 2, 3


def code(c, d):
    return c << 5 | d


def uint(v):
    """Unsigned option value in the fewest bytes (0 is empty)."""
    out = b""
    while v:
        out = bytes([v & 0xFF]) + out
        v >>= 8
    return out


def nibble(v):
    if v < 13:
        return v, b""
    if v < 269:
        return 13, bytes([v - 13])
    return 14, struct.pack(">H", v - 269)


def msg(typ, c, mid, token=b"", opts=(), payload=b""):
    out = bytes([0x40 | typ << 4 | len(token), c]) + struct.pack(">H", mid) + token
    last = 0
    for num, val in sorted(opts, key=lambda o: o[0]):  # stable: repeats keep order
        if isinstance(val, str):
            val = val.encode()
        dn, dext = nibble(num - last)
        ln, lext = nibble(len(val))
        out += bytes([dn << 4 | ln]) + dext + lext + val
        last = num
    if payload:
        out += b"\xff" + payload
    return out


def path(num, p):
    return [(num, seg) for seg in p.split("/")]


def query(*kv):
    return [(15, q) for q in kv]


def block(num, more, szx):
    return uint(num << 4 | more << 3 | szx)


URI_PATH, CT, URI_QUERY, LOC_PATH = 11, 12, 15, 8
OBSERVE, ACCEPT, BLOCK2, BLOCK1, SIZE2, SIZE1 = 6, 17, 23, 27, 28, 60
TOKEN = bytes.fromhex("a1b2c3d4e5f60718")
LINKS = b'</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</4/0>,</5/0>,</3303/0>'


def tlv_res(rid, val):
    """LwM2M TLV resource with a 1-byte id and an 8-bit length."""
    return bytes([0xC8, rid, len(val)]) + val


TLV_DEVICE = tlv_res(0, b"Open Mobile Alliance") + tlv_res(1, b"Lightweight M2M Client")

VALID = {
    "register": msg(CON, code(0, 2), 0x1001, TOKEN,
                    path(URI_PATH, "rd") + [(CT, uint(40))] +
                    query("ep=urn:imei:490154203237518", "lt=86400", "lwm2m=1.0", "b=U"),
                    LINKS),
    "register_created": msg(ACK, code(2, 1), 0x1001, TOKEN, path(LOC_PATH, "rd/5a3f")),
    "update": msg(CON, code(0, 2), 0x1002, TOKEN[:4],
                  path(URI_PATH, "rd/5a3f") + query("lt=3600", "b=UQ")),
    "update_objects": msg(CON, code(0, 2), 0x1003, TOKEN[:4],
                          path(URI_PATH, "rd/5a3f") + [(CT, uint(40))], b"</1/0>,</3/0>,</5/0>"),
    "changed": msg(ACK, code(2, 4), 0x1003, TOKEN[:4]),
    "deregister": msg(CON, code(0, 4), 0x1004, TOKEN[:2], path(URI_PATH, "rd/5a3f")),
    "deleted": msg(ACK, code(2, 2), 0x1004, TOKEN[:2]),
    "read_tlv": msg(CON, code(0, 1), 0x2001, TOKEN[:3],
                    path(URI_PATH, "3/0") + [(ACCEPT, uint(11542))]),
    "content_tlv": msg(ACK, code(2, 5), 0x2001, TOKEN[:3], [(CT, uint(11542))], TLV_DEVICE),
    "observe": msg(CON, code(0, 1), 0x2002, TOKEN,
                   [(OBSERVE, b"")] + path(URI_PATH, "3303/0/5700") + [(ACCEPT, uint(0))]),
    "notify": msg(NON, code(2, 5), 0x2003, TOKEN,
                  [(OBSERVE, uint(0x012345)), (CT, b""), (14, uint(60))], b"21.5"),
    "block2_first": msg(ACK, code(2, 5), 0x2004, TOKEN[:1],
                        [(CT, uint(42)), (BLOCK2, block(0, 1, 2)), (SIZE2, uint(200))],
                        bytes(range(64))),
    "block1_put": msg(CON, code(0, 3), 0x2005, TOKEN[:1],
                      path(URI_PATH, "5/0/0") + [(CT, uint(42)), (BLOCK1, block(1, 1, 3)),
                                                (SIZE1, uint(70000))],
                      bytes((i * 37) & 0xFF for i in range(128))),
    "continue": msg(ACK, code(2, 31), 0x2005, TOKEN[:1], [(BLOCK1, block(1, 1, 3))]),
    "block_3byte": msg(CON, code(0, 1), 0x2006, b"",
                       path(URI_PATH, "fw") + [(BLOCK2, block(70000, 0, 6))]),
    "not_found": msg(ACK, code(4, 4), 0x2007, TOKEN[:2]),
    "long_query": msg(CON, code(0, 2), 0x2008, b"\x01",
                      path(URI_PATH, "rd") + query("ep=" + "x" * 300), b"</1/0>"),
    "high_option": msg(CON, code(0, 1), 0x2009, b"", [(2048, b"a"), (65000, b"")]),
    "empty_ack": msg(ACK, 0, 0x3001),
    "rst": msg(RST, 0, 0x3002),
    "ping": msg(CON, 0, 0x3003),
}

MALFORMED = {
    "bad_truncated": VALID["register"][:40] + b"\xdd",
    "bad_empty_payload": msg(CON, code(0, 2), 1, b"", path(URI_PATH, "rd")) + b"\xff",
    "bad_nibble": bytes.fromhex("40010001") + b"\xb1a\x1f",
    "bad_token_len": bytes.fromhex("49010001") + bytes(9),
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for sub, sets in (("msg", (VALID, MALFORMED)), ("msg_roundtrip", (VALID,))):
        d = os.path.join(here, "corpus", sub)
        os.makedirs(d, exist_ok=True)
        for s in sets:
            for name, data in s.items():
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)


if __name__ == "__main__":
    main()
