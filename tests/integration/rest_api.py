#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tetherd's REST API, event stream, metrics and static files (docs/API.md)
against the real binaries: tetherd on free loopback ports (CoAP and HTTP),
tether-client registered, plus a stdlib CoAP device that registers and then
never answers (for the 504). Every endpoint is exercised, errors included
(404 unknown endpoint and path, 400 bad path / body / parameter, 405, 413,
504, 401 with --http-token, exit 2 for a non-loopback --http without a
token); the event stream must show REGISTRATION, UPDATED, NOTIFICATION and
DEREGISTRATION, filtered by ?ep; /metrics must parse as Prometheus text and
count the operations made. Every process is killed by PID at the end."""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from tetherd_harness import BUILD, DELETE, Device, Tetherd, _children, fail  # noqa: E402

SRC = os.environ.get("TETHER_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MODELS = os.path.join(SRC, "tests", "server", "models", "good")
CLIENT = os.path.join(BUILD, "tether-client")
TETHERD = os.path.join(BUILD, "tetherd")


def ok(msg):
    print("ok   " + msg, flush=True)


def check(cond, msg):
    if not cond:
        fail(msg)


class Api:
    def __init__(self, port, token=None):
        self.base = "http://127.0.0.1:%d" % port
        self.port = port
        self.token = token

    def call(self, method, path, body=None, headers=None, timeout=20):
        h = dict(headers or {})
        if self.token:
            h.setdefault("Authorization", "Bearer " + self.token)
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                raw = r.read()
                return r.status, r.headers, raw
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, method, path, body=None, want=200, **kw):
        st, hd, raw = self.call(method, path, body, **kw)
        check(st == want, "%s %s: HTTP %d, want %d: %s" % (method, path, st, want, raw[:300]))
        check(hd.get("Content-Type", "").startswith("application/json"),
              "%s %s: Content-Type %s" % (method, path, hd.get("Content-Type")))
        j = json.loads(raw)
        if want >= 400:
            check(j.get("code") == want and isinstance(j.get("message"), str) and j["message"],
                  "%s %s: error body %r" % (method, path, j))
        return j, hd


class Events:
    """A GET /api/event reader on its own thread."""

    def __init__(self, port, query="", token=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        hdrs = {"Authorization": "Bearer " + token} if token else {}
        self.conn.request("GET", "/api/event" + query, headers=hdrs)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.ctype = self.resp.getheader("Content-Type")
        self.events, self.comments = [], []
        self.cv = threading.Condition()
        if self.status == 200:
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
                    if line.startswith(":"):
                        self.comments.append(line)
                    elif line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: "):
                        data.append(line[6:])
                    elif line == "" and name is not None:
                        self.events.append((name, json.loads("\n".join(data))))
                        name, data = None, []
                    self.cv.notify_all()
        except Exception:  # closed under us at the end
            pass

    def wait(self, name, pred=lambda d: True, timeout=10.0, start=0):
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for n, d in self.events[start:]:
                    if n == name and pred(d):
                        return d
                left = deadline - time.monotonic()
                if left <= 0:
                    fail("no %s event within %.0f s; saw %s" %
                         (name, timeout, [n for n, _ in self.events]))
                self.cv.wait(left)

    def names(self):
        with self.cv:
            return [n for n, _ in self.events]

    def close(self):
        # Shut the socket first: the reader thread holds the response's
        # buffer lock in readline() until data or EOF comes.
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):
            pass
        self.conn.close()


def metrics(api):
    st, hd, raw = api.call("GET", "/metrics", headers={"Authorization": "none"})
    check(st == 200, "/metrics: HTTP %d" % st)
    check(hd.get("Content-Type", "").startswith("text/plain"), "/metrics Content-Type")
    out, types = {}, {}
    rx = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*)?\})? (-?[0-9.e+]+|NaN|\+Inf)$')
    for line in raw.decode().splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            types[name] = typ
            continue
        if line.startswith("#") or not line:
            continue
        m = rx.match(line)
        check(m is not None, "/metrics: line is not Prometheus text: %r" % line)
        base = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        check(m.group(1) in types or base in types, "/metrics: %s has no # TYPE" % m.group(1))
        out[m.group(1) + (m.group(2) or "")] = float(m.group(5))
    return out


def start_tetherd(*args):
    d = Tetherd("--http", "127.0.0.1:0", *args)
    m = d.wait_line(r"web UI at http://127\.0\.0\.1:(\d+)/", 5)
    return d, int(m.group(1))


def main():
    if not (os.path.exists(TETHERD) and os.path.exists(CLIENT)):
        print("SKIP: tetherd or tether-client not built")
        return 0

    # --- refusals at start-up ---------------------------------------------------
    r = subprocess.run([TETHERD, "--coap", "127.0.0.1:0", "--store", "memory",
                        "--http", "0.0.0.0:0"],
                       capture_output=True, timeout=10)
    err = r.stderr.decode()
    check(r.returncode == 2 and "--http-token" in err and len(err.strip().splitlines()) == 1,
          "non-loopback --http without a token: exit %d: %s" % (r.returncode, err))
    ok("non-loopback --http without --http-token: exit 2: " + err.strip())
    r = subprocess.run([TETHERD, "--coap", "127.0.0.1:0", "--store", "memory",
                        "--http", "nonsense"],
                       capture_output=True, timeout=10)
    check(r.returncode == 2, "--http nonsense: exit %d" % r.returncode)
    help_text = subprocess.run([TETHERD, "--help"], capture_output=True).stdout.decode()
    check("--http HOST:PORT" in help_text and "--http-token" in help_text, "--help lacks --http")
    ok("--http nonsense: exit 2; --help documents --http and --http-token")

    d, port = start_tetherd("--models", MODELS)
    api = Api(port)
    ok("tetherd: CoAP port %d, web UI at http://127.0.0.1:%d/" % (d.port, port))
    r = subprocess.run([TETHERD, "--coap", "127.0.0.1:0", "--store", "memory",
                        "--http", "127.0.0.1:%d" % port],
                       capture_output=True, timeout=10)
    check(r.returncode == 1 and ("127.0.0.1:%d" % port) in r.stderr.decode(),
          "--http on a taken port: exit %d: %s" % (r.returncode, r.stderr.decode()))
    ok("--http on a taken port: exit 1")

    # --- static files ---------------------------------------------------------------
    st, hd, raw = api.call("GET", "/")
    check(st == 200 and hd["Content-Type"].startswith("text/html") and b"<html" in raw.lower(),
          "GET /: %d %s" % (st, hd.get("Content-Type")))
    st2, _, raw2 = api.call("GET", "/index.html")
    st3, _, raw3 = api.call("GET", "/ui/index.html")
    check(st2 == 200 and st3 == 200 and raw2 == raw and raw3 == raw, "index.html by name")
    with open(os.path.join(SRC, "apps", "tetherd", "www", "index.html"), "rb") as f:
        check(f.read() == raw, "GET / is not apps/tetherd/www/index.html")
    api.json("GET", "/no-such-file.js", want=404)
    api.json("POST", "/", body=b"x", want=405)
    ok("static: / and /index.html and /ui/index.html serve www/index.html; 404, 405")

    ev = Events(port)
    check(ev.status == 200 and ev.ctype.startswith("text/event-stream"),
          "GET /api/event: %d %s" % (ev.status, ev.ctype))
    ev_mute = Events(port, "?ep=mute-1")

    m0 = metrics(api)

    # --- registrations ----------------------------------------------------------------
    client = subprocess.Popen([CLIENT, "--server", "coap://127.0.0.1:%d" % d.port, "--endpoint",
                               "rest-dev", "--lifetime", "60", "--sensor-period", "500"],
                              stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    _children.append(client)
    reg = ev.wait("REGISTRATION", lambda x: x["endpoint"] == "rest-dev")
    for k in ("registrationId", "address", "lifetime", "bindingMode", "lwM2mVersion",
              "smsNumber", "rootPath", "objectLinks", "registrationDate", "lastUpdate",
              "expires", "queuemode", "sleeping"):
        check(k in reg, "REGISTRATION lacks %s: %r" % (k, reg))
    check(reg["lifetime"] == 60 and reg["lwM2mVersion"] == "1.0", "REGISTRATION %r" % reg)
    check({"url": "/3303/0", "attributes": {}} in reg["objectLinks"], "objectLinks %r" % reg)
    ok("event stream: REGISTRATION of rest-dev with the client object")

    mute = Device(d.addr)
    c, _ = mute.register("ep=mute-1&lt=60&b=U")
    check(c == 65, "mute device: Register answered %d" % c)
    ev_mute.wait("REGISTRATION", lambda x: x["endpoint"] == "mute-1")

    # An endpoint name holding '/', ' ' and '%' is reached by escaping them.
    odd = Device(d.addr)
    c, c_loc = odd.register("ep=we/ird ep%&lt=60&b=U")
    check(c == 65, "odd device: Register answered %d" % c)
    one, _ = api.json("GET", "/api/clients/we%2Fird%20ep%25")
    check(one["endpoint"] == "we/ird ep%", "GET /api/clients/we%%2Fird%%20ep%%25: %r" % one)
    lst, hd = api.json("GET", "/api/clients?prefix=we%2Fird%20e")
    check([x["endpoint"] for x in lst] == ["we/ird ep%"], "prefix=we%%2Fird%%20e: %r" % lst)
    lst, hd = api.json("GET", "/api/clients?prefix=we/ird+ep%25")
    check([x["endpoint"] for x in lst] == ["we/ird ep%"], "prefix=we/ird+ep%%25: %r" % lst)
    lst, hd = api.json("GET", "/api/clients?prefix=%72est")
    check([x["endpoint"] for x in lst] == ["rest-dev"], "prefix=%%72est: %r" % lst)
    api.json("GET", "/api/clients/we/ird%20ep%25", want=404)
    check(odd.request(DELETE, c_loc)[1] == 66, "odd device: De-register failed")
    api.json("GET", "/api/clients/we%2Fird%20ep%25", want=404)
    ok("endpoint 'we/ird ep%%' reached as we%%2Fird%%20ep%%25; ?prefix= still decodes "
       "%%-escapes and '+'")

    lst, hd = api.json("GET", "/api/clients")
    check(hd["X-Total-Count"] == "2" and [x["endpoint"] for x in lst] == ["mute-1", "rest-dev"],
          "GET /api/clients: %s %r" % (hd["X-Total-Count"], [x["endpoint"] for x in lst]))
    lst, hd = api.json("GET", "/api/clients?prefix=rest")
    check(hd["X-Total-Count"] == "1" and lst[0]["endpoint"] == "rest-dev", "prefix=rest")
    lst, hd = api.json("GET", "/api/clients?offset=1&limit=1")
    check(hd["X-Total-Count"] == "2" and [x["endpoint"] for x in lst] == ["rest-dev"],
          "offset=1&limit=1: %r" % lst)
    lst, hd = api.json("GET", "/api/clients?prefix=zzz")
    check(lst == [] and hd["X-Total-Count"] == "0", "prefix=zzz")
    api.json("GET", "/api/clients?limit=5000", want=400)
    api.json("GET", "/api/clients?offset=-1", want=400)
    one, _ = api.json("GET", "/api/clients/rest-dev")
    check(one["endpoint"] == "rest-dev" and one["registrationId"] == reg["registrationId"] and
          re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", one["registrationDate"]),
          "GET /api/clients/rest-dev: %r" % one)
    api.json("GET", "/api/clients/nobody", want=404)
    api.json("GET", "/api/clients/nobody/3/0", want=404)
    ok("clients: sorted list, X-Total-Count, prefix, offset/limit, one client, 404")

    # --- object models ----------------------------------------------------------------
    specs, _ = api.json("GET", "/api/objectspecs")
    ids = [s["id"] for s in specs]
    check(ids == sorted(ids) and 3 in ids and 3303 in ids, "objectspecs ids %r" % ids)
    t, _ = api.json("GET", "/api/objectspecs/3303")
    sv = [r for r in t["resources"] if r["id"] == 5700]
    check(t["instancetype"] == "multiple" and sv and sv[0]["type"] == "float" and
          sv[0]["operations"] == "R", "objectspecs/3303: %r" % t)
    api.json("GET", "/api/objectspecs/4242", want=404)
    api.json("GET", "/api/objectspecs/x", want=400)
    ok("objectspecs: all models sorted by id, one by id, 404, 400")

    # --- Read -------------------------------------------------------------------------------
    j, _ = api.json("GET", "/api/clients/rest-dev/3/0")
    check(j["status"] == "CONTENT" and j["code"] == "2.05" and j["success"] is True and
          j["failure"] is False and j["content"]["kind"] == "instance", "read /3/0: %r" % j)
    res = {r["id"]: r for r in j["content"]["resources"]}
    check(res[2]["value"] == "rest-dev" and res[2]["type"] == "STRING" and
          res[11]["kind"] == "multiResource", "read /3/0 resources: %r" % res)
    j, _ = api.json("GET", "/api/clients/rest-dev/3303/0/5700")
    c5700 = j["content"]
    check(c5700["kind"] == "singleResource" and c5700["type"] == "FLOAT" and
          isinstance(c5700["value"], float), "read /3303/0/5700: %r" % j)
    j, _ = api.json("GET", "/api/clients/rest-dev/1")
    check(j["content"]["kind"] == "obj" and j["content"]["instances"][0]["kind"] == "instance",
          "read /1: %r" % j)
    for fmt in ("TEXT", "TLV"):
        j, _ = api.json("GET", "/api/clients/rest-dev/3/0/2?format=" + fmt)
        check(j["success"] and j["content"]["value"] == "rest-dev", "read format=%s: %r" % (fmt, j))
    j, _ = api.json("GET", "/api/clients/rest-dev/3/0/4242")
    check(j["status"] == "NOT_FOUND" and j["success"] is False and j["code"] == "4.04",
          "read /3/0/4242: %r" % j)
    ok("read: instance, single FLOAT resource (model from --models), object, "
       "format=TEXT/TLV, device 4.04 as HTTP 200 NOT_FOUND")

    # --- Write -----------------------------------------------------------------------------
    j, _ = api.json("PUT", "/api/clients/rest-dev/1/0/1",
                    {"kind": "singleResource", "id": 1, "value": 120})
    check(j["status"] == "CHANGED" and j["success"], "write /1/0/1: %r" % j)
    j, _ = api.json("GET", "/api/clients/rest-dev/1/0/1")
    check(j["content"]["value"] == 120 and j["content"]["type"] == "INTEGER",
          "read back /1/0/1: %r" % j)
    j, _ = api.json("PUT", "/api/clients/rest-dev/1/0?replace=false",
                    {"kind": "instance", "id": 0, "resources": [
                        {"kind": "singleResource", "id": 1, "type": "INTEGER", "value": 90}]})
    check(j["status"] == "CHANGED", "partial write /1/0: %r" % j)
    j, _ = api.json("GET", "/api/clients/rest-dev/1/0/1?format=TLV")
    check(j["content"]["value"] == 90, "read back after partial write: %r" % j)
    j, _ = api.json("PUT", "/api/clients/rest-dev/1/0/1",  # Leshan 1.x's spelling
                    {"id": 1, "kind": "singleResource", "value": "90", "type": "integer"})
    check(j["status"] == "CHANGED", "Leshan-style write: %r" % j)
    upd = ev.wait("UPDATED", lambda x: x["registration"]["endpoint"] == "rest-dev" and
                  x["update"].get("lifetime") == 90, timeout=10)
    check(upd["registration"]["lifetime"] == 90, "UPDATED %r" % upd)
    ok("write: replace /1/0/1 (type from the model), partial /1/0; "
       "the client's Update with lt=90 comes as UPDATED")
    # Every content format end to end: Read object / instance / resource and a
    # Write of /1/0/1 read back, in each format tether-client speaks.
    for fmt in ("JSON", "SENML_JSON", "SENML_CBOR", "CBOR"):
        j, _ = api.json("GET", "/api/clients/rest-dev/3/0/0?format=" + fmt)
        check(j["success"] and j["content"]["kind"] == "singleResource" and
              j["content"]["value"] == "Tether", "read /3/0/0 format=%s: %r" % (fmt, j))
        j, _ = api.json("GET", "/api/clients/rest-dev/1/0/1?format=" + fmt)
        check(j["success"] and j["content"]["value"] == 90, "read /1/0/1 format=%s: %r" % (fmt, j))
        if fmt == "CBOR":
            continue  # plain CBOR carries one resource only
        j, _ = api.json("GET", "/api/clients/rest-dev/3/0?format=" + fmt)
        res = {r["id"]: r for r in j["content"].get("resources", [])}
        check(j["success"] and j["content"]["kind"] == "instance" and
              res.get(0, {}).get("value") == "Tether" and res[2]["value"] == "rest-dev",
              "read /3/0 format=%s: %r" % (fmt, j))
        j, _ = api.json("GET", "/api/clients/rest-dev/1?format=" + fmt)
        inst = j["content"].get("instances", [])
        check(j["success"] and j["content"]["kind"] == "obj" and inst and
              {r["id"]: r for r in inst[0]["resources"]}[1]["value"] == 90,
              "read /1 format=%s: %r" % (fmt, j))
    for i, fmt in enumerate(("JSON", "SENML_JSON", "SENML_CBOR", "CBOR")):
        v = 91 + i
        j, _ = api.json("PUT", "/api/clients/rest-dev/1/0/1?format=" + fmt,
                        {"kind": "singleResource", "id": 1, "value": v})
        check(j["status"] == "CHANGED", "write /1/0/1 format=%s: %r" % (fmt, j))
        j, _ = api.json("GET", "/api/clients/rest-dev/1/0/1?format=" + fmt)
        check(j["content"]["value"] == v, "read back /1/0/1 format=%s: %r" % (fmt, j))
    j, _ = api.json("PUT", "/api/clients/rest-dev/1/0/1",
                    {"kind": "singleResource", "id": 1, "value": 90})
    check(j["status"] == "CHANGED", "write /1/0/1 back to 90: %r" % j)
    ok("formats: read /3/0/0, /1/0/1, /3/0, /1 in JSON, SENML_JSON, SENML_CBOR (and CBOR "
       "for one resource), write /1/0/1 in each and read it back")
    api.json("PUT", "/api/clients/rest-dev/1/0/1", b"{not json", want=400)
    api.json("PUT", "/api/clients/rest-dev/1/0/1", {"kind": "singleResource", "value": "x"},
             want=400)
    api.json("PUT", "/api/clients/rest-dev/1/0/1", {"kind": "bogus", "value": 1}, want=400)
    api.json("PUT", "/api/clients/rest-dev/3303/0/9999", {"kind": "singleResource", "value": 1},
             want=400)
    api.json("PUT", "/api/clients/rest-dev/1/0/1", [1, 2], want=400)
    api.json("PUT", "/api/clients/rest-dev/1/0", {"kind": "instance", "id": 3, "resources": []},
             want=400)
    api.json("PUT", "/api/clients/rest-dev/1", {"kind": "obj"}, want=400)
    st, _, _ = api.call("PUT", "/api/clients/rest-dev/1/0/1", b"1" * (300 * 1024))
    check(st == 413, "a 300 KiB body: HTTP %d, want 413" % st)
    ok("write errors: bad JSON, bad value, unknown kind, no type and no model, not a node, "
       "id mismatch, object path: 400; 300 KiB body: 413")

    # --- Execute, Discover, Write-Attributes ------------------------------------------------
    mark = len(ev.events)
    j, _ = api.json("POST", "/api/clients/rest-dev/1/0/8", b"",
                    headers={"Content-Type": "text/plain"})
    check(j["status"] == "CHANGED", "execute /1/0/8: %r" % j)
    ev.wait("UPDATED", lambda x: x["registration"]["endpoint"] == "rest-dev", start=mark)
    j, _ = api.json("POST", "/api/clients/rest-dev/3303/0/5700", b"")
    check(j["success"] is False and j["status"] == "METHOD_NOT_ALLOWED",
          "execute a readable resource: %r" % j)
    ok("execute /1/0/8: CHANGED, then the Update as UPDATED; a non-executable: 4.05")
    j, _ = api.json("GET", "/api/clients/rest-dev/3/0/discover")
    urls = [l["url"] for l in j["objectLinks"]]
    check(j["status"] == "CONTENT" and "/3/0" in urls and "/3/0/0" in urls,
          "discover /3/0: %r" % j)
    j, _ = api.json("PUT", "/api/clients/rest-dev/3303/0/5700/attributes?pmin=0&pmax=1")
    check(j["status"] == "CHANGED", "write-attributes: %r" % j)
    j, _ = api.json("GET", "/api/clients/rest-dev/3303/0/5700/discover")
    a = j["objectLinks"][0]["attributes"]
    check(a.get("pmax") == "1", "discover after write-attributes: %r" % j)
    api.json("PUT", "/api/clients/rest-dev/3303/0/5700/attributes?pmin=abc", want=400)
    api.json("PUT", "/api/clients/rest-dev/3303/0/5700/attributes", want=400)
    api.json("PUT", "/api/clients/rest-dev/3303/0/5700/attributes?lt=5&gt=1", want=400)
    ok("discover: object links; write-attributes pmax=1 shows in discover; bad attributes: 400")

    # --- Observe -------------------------------------------------------------------------------
    j, _ = api.json("POST", "/api/clients/rest-dev/3303/0/5700/observe")
    check(j["status"] == "CONTENT" and j["content"]["type"] == "FLOAT", "observe: %r" % j)
    n = ev.wait("NOTIFICATION", lambda x: x["ep"] == "rest-dev" and x["res"] == "/3303/0/5700",
                timeout=10)
    check(n["val"]["kind"] == "singleResource" and isinstance(n["val"]["value"], float) and
          n["status"] == "CONTENT", "NOTIFICATION %r" % n)
    check(metrics(api).get("tether_observations") == 1, "tether_observations is not 1")
    j, _ = api.json("DELETE", "/api/clients/rest-dev/3303/0/5700/observe")
    check(j["cancelled"] == 1, "cancel observe: %r" % j)
    check(metrics(api).get("tether_observations") == 0, "tether_observations is not 0")
    j, _ = api.json("DELETE", "/api/clients/rest-dev/3303/0/5700/observe?active=true")
    check(j["cancelled"] == 0, "second cancel: %r" % j)
    ok("observe: first value, NOTIFICATION on the stream, tether_observations 1 -> 0 on cancel")

    # --- Create, Delete ----------------------------------------------------------------------------
    # tether-client's /3303 takes Create and Delete (not of /3303/0, the sensor).
    api.json("POST", "/api/clients/rest-dev/3303?format=SENML_JSON",
             {"kind": "instance", "resources": [
                 {"kind": "singleResource", "id": 5700, "value": 20.5}]}, want=400)
    for fmt, iid in (("TLV", {}), ("SENML_JSON", {"id": 1})):  # TLV: the device picks 1
        j, _ = api.json("POST", "/api/clients/rest-dev/3303?format=" + fmt,
                        dict({"kind": "instance", "resources": [
                            {"kind": "singleResource", "id": 5700, "value": 20.5}]}, **iid))
        check(j["status"] == "CREATED" and j["code"] == "2.01" and j["success"] and
              j.get("location") == "/3303/1", "create /3303 in %s: %r" % (fmt, j))
        j, _ = api.json("GET", "/api/clients/rest-dev/3303/1/5700")
        check(j["status"] == "CONTENT" and j["content"]["value"] == 20.5,
              "read the created /3303/1/5700 (%s): %r" % (fmt, j))
        j, _ = api.json("DELETE", "/api/clients/rest-dev/3303/1")
        check(j["status"] == "DELETED" and j["success"], "delete /3303/1: %r" % j)
        j, _ = api.json("GET", "/api/clients/rest-dev/3303/1")
        check(j["status"] == "NOT_FOUND", "read /3303/1 after delete: %r" % j)
    j, _ = api.json("POST", "/api/clients/rest-dev/3303",
                    {"kind": "instance", "id": 0, "resources": [
                        {"kind": "singleResource", "id": 5700, "value": 20.5}]})
    check(j["success"] is False and j["code"] == "4.00", "create the existing /3303/0: %r" % j)
    j, _ = api.json("POST", "/api/clients/rest-dev/3303",
                    {"kind": "instance", "id": 2, "resources": [
                        {"kind": "singleResource", "id": 5700, "value": 999.0}]})
    check(j["success"] is False and j["code"] == "4.00", "create out of range: %r" % j)
    j, _ = api.json("GET", "/api/clients/rest-dev/3303/2")
    check(j["status"] == "NOT_FOUND", "a refused create left /3303/2: %r" % j)
    j, _ = api.json("DELETE", "/api/clients/rest-dev/3303/0")
    check(j["success"] is False and j["code"] == "4.05", "delete /3303/0: %r" % j)
    j, _ = api.json("DELETE", "/api/clients/rest-dev/1/0")
    check(j["success"] is False and j["code"].startswith("4."), "delete /1/0: %r" % j)
    api.json("DELETE", "/api/clients/rest-dev/3303", want=400)
    api.json("POST", "/api/clients/rest-dev/3303", {"kind": "singleResource"}, want=400)
    ok("create /3303 (TLV, SENML_JSON) -> CREATED /3303/1, read it, delete -> DELETED, then "
       "NOT_FOUND; refused creates and delete /3303/0: the device's 4.xx as HTTP 200")

    # --- request errors ----------------------------------------------------------------------------
    api.json("GET", "/api/clients/rest-dev/3/x/1", want=400)
    api.json("GET", "/api/clients/rest-dev/3/0/1/2/3", want=400)
    api.json("GET", "/api/clients/rest-dev/3/0/bogus", want=404)
    api.json("GET", "/api/clients/rest-dev/3/0?format=XML", want=400)
    api.json("GET", "/api/clients/rest-dev/3/0?format=", want=400)
    for fmt in ("LINK", "link", "40"):
        j, _ = api.json("GET", "/api/clients/rest-dev/3/0?format=" + fmt, want=400)
        check("/discover" in j["message"], "read format=%s: %r" % (fmt, j))
    api.json("GET", "/api/clients/rest-dev/3/0?timeout=0", want=400)
    api.json("PATCH", "/api/clients/rest-dev/3/0", want=405)
    api.json("POST", "/api/clients", want=405)
    api.json("GET", "/api/nothing", want=404)
    api.json("GET", "/api", want=404)
    ok("errors: bad path 400, unknown suffix 404, bad format/timeout 400, wrong method 405, "
       "unknown API path 404")

    # Bad input never crashes, and a slow client does not hold the loop.
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"GET /api/clients HTTP/1.1\r\nHost: x\r\n")  # never finished
    half = socket.create_connection(("127.0.0.1", port))
    half.sendall(b"PUT /api/clients/rest-dev/1/0/1 HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Length: 1000\r\n\r\n{\"kind\":")  # body never finished
    t0 = time.monotonic()
    api.json("GET", "/api/clients")
    check(time.monotonic() - t0 < 1, "a slow client delayed another request")
    weird = [b"", b"null", b"[]", b"\"x\"", b"{}", b"[" * 5000 + b"]" * 5000,
             b'{"kind":"singleResource","value":1e999}',
             b'{"kind":"singleResource","value":-9223372036854775809}',
             b'{"kind":"singleResource","value":"99999999999999999999"}',
             b'{"kind":"singleResource","id":1,"value":1.5}',
             b'{"kind":"singleResource","id":70000,"value":1}',
             b'{"kind":"instance","resources":[null,1,"x",{}]}',
             b'{"kind":"multiResource","id":1,"values":{"x":1}}',
             b'{"kind":"multiResource","id":1,"values":[1]}',
             b'{"kind":"singleResource","type":"OPAQUE","value":"abc"}',
             b'{"kind":"singleResource","type":"WHAT","value":1}',
             b"\xff\xfe\x00garbage", b'{"kind":"singleResource","value":60}' + b" " * 10]
    for body in weird:
        for path in ("/1/0/1", "/1/0", "/3303"):
            method = "POST" if path == "/3303" else "PUT"
            st, _, raw = api.call(method, "/api/clients/rest-dev" + path, body)
            check(st in (200, 400), "%s %s with %r: HTTP %d %s" % (method, path, body[:40], st,
                                                                  raw[:100]))
    for path in ("/api/clients/rest-dev/65535/0", "/api/clients/rest-dev/01/0",
                 "/api/clients/rest-dev//3", "/api/clients/rest-dev/3/0/1/2/3/4/5/6",
                 "/api/clients/rest-dev/-1", "/api/clients/rest-dev/3/0/" +
                 "9" * 40, "/api/objectspecs/99999999999999999999", "/api/event/x",
                 "/" + "a" * 5000, "/api/clients/" + "e" * 300):
        st, _, _ = api.call("GET", path)
        check(st in (400, 404, 414), "GET %s: HTTP %d" % (path[:60], st))
    # A NUL or an empty endpoint segment is no client (MHD used to decode %00
    # into "/api/clients/" and answer the list).
    for path in ("/api/clients/%00", "/api/clients/a%00b", "/api/clients/%00/3/0",
                 "/api/clients//3/0", "/api/clients/rest-dev/3/0%00"):
        st, _, raw = api.call("GET", path)
        check(st in (400, 404) and json.loads(raw)["code"] == st,
              "GET %s: HTTP %d %s" % (path, st, raw[:100]))
    # 1,000 query arguments fit the connection's memory (the 32 KiB default
    # of libmicrohttpd gave no answer at all): the list, unknown names ignored.
    lst, hd = api.json("GET", "/api/clients?" + "&".join("p%d=%d" % (i, i) for i in range(1000)) +
                       "&prefix=rest")
    check([x["endpoint"] for x in lst] == ["rest-dev"], "1,000 query arguments: %r" % lst)
    slow.close()
    half.close()
    api.json("GET", "/api/clients/rest-dev")
    ok("bad input: odd bodies, paths and a half-sent request give 400/404/414; "
       "a slow client does not stall the others")

    t0 = time.monotonic()
    j, _ = api.json("GET", "/api/clients/mute-1/3/0?timeout=1", want=504)
    took = time.monotonic() - t0
    check(0.9 <= took < 5, "504 after %.1f s" % took)
    ok("device that does not answer, ?timeout=1: 504 after %.1f s (%s)" % (took, j["message"]))

    # --- metrics ----------------------------------------------------------------------------------
    m1 = metrics(api)
    k = 'tether_operations_total{op="read",result="success"}'
    check(m1[k] >= m0[k] + 7, "%s: %s -> %s" % (k, m0[k], m1[k]))
    check(m1['tether_operations_total{op="read",result="timeout"}'] == 1, "read timeouts")
    check(m1['tether_operations_total{op="read",result="coap_error"}'] >= 1, "coap_error")
    check(m1['tether_operations_total{op="write",result="success"}'] >= 1, "write success")
    check(m1['tether_operations_total{op="observe",result="success"}'] == 1, "observe")
    check(m1['tether_operation_duration_seconds_count{op="read"}'] ==
          m1['tether_operation_duration_seconds_bucket{op="read",le="+Inf"}'], "histogram count")
    check(m1['tether_operation_duration_seconds_bucket{op="read",le="60"}'] >=
          m1['tether_operation_duration_seconds_bucket{op="read",le="0.1"}'], "buckets grow")
    check(m1["tether_registrations"] == 2 and
          m1['tether_registrations_total{event="registered"}'] == 3, "registrations")
    check(m1['tether_events_total{type="notification"}'] >= 1, "events by type")
    check("tether_queue_depth" in m1 and m1["tether_event_stream_subscribers"] == 2,
          "queue depth / subscribers")
    check(m1.get('tether_store_info{kind="memory"}') == 1 and "tether_store_pending" in m1 and
          "tether_store_lag_seconds" in m1, "store metrics missing")
    ok("metrics: Prometheus text; operations by kind and result, latency histogram, "
       "registrations, events, queue depth moved as expected; store figures present")

    brief = Device(d.addr)
    c, _ = brief.register("ep=brief-1&lt=1&b=U")
    check(c == 65, "brief device: Register answered %d" % c)
    exp = ev.wait("EXPIRED", lambda x: x["endpoint"] == "brief-1", timeout=5)
    check(exp["lifetime"] == 1, "EXPIRED %r" % exp)
    ok("EXPIRED on the stream when a 1 s lifetime runs out")

    # --- de-registration, the ?ep filter -------------------------------------------------------------
    client.send_signal(signal.SIGTERM)
    dereg = ev.wait("DEREGISTRATION", lambda x: x["endpoint"] == "rest-dev")
    check(dereg["registrationId"] == reg["registrationId"], "DEREGISTRATION %r" % dereg)
    client.wait(10)
    check(all(x[1].get("endpoint", x[1].get("ep", x[1].get("registration", {}).get("endpoint")))
              == "mute-1" for x in ev_mute.events), "?ep=mute-1 saw others: %r" % ev_mute.names())
    check(ev_mute.names() == ["REGISTRATION"], "?ep=mute-1 saw %r" % ev_mute.names())
    api.json("GET", "/api/clients/rest-dev", want=404)
    ok("DEREGISTRATION on the stream; ?ep=mute-1 saw only mute-1's REGISTRATION")
    ev.close()
    ev_mute.close()

    rc = d.stop()
    check(rc == 0, "tetherd exited %d after SIGTERM" % rc)
    ok("tetherd stops cleanly with streams open")

    # --- queue mode: SLEEPING, a queued read, AWAKE ------------------------------------------------
    d3, port3 = start_tetherd("--awake-window", "1")
    api3 = Api(port3)
    ev3 = Events(port3)
    qc = subprocess.Popen([CLIENT, "--server", "coap://127.0.0.1:%d" % d3.port, "--endpoint",
                           "q-dev", "--binding", "UQ", "--awake-window", "1", "--lifetime", "8",
                           "--sensor-period", "600000"],
                          stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    _children.append(qc)
    reg = ev3.wait("REGISTRATION", lambda x: x["endpoint"] == "q-dev")
    check(reg["queuemode"] is True and reg["bindingMode"] == "UQ", "queue-mode client %r" % reg)
    ev3.wait("SLEEPING", lambda x: x["ep"] == "q-dev", timeout=5)
    one, _ = api3.json("GET", "/api/clients/q-dev")
    check(one["sleeping"] is True, "sleeping client: %r" % one)
    box = {}

    def queued_read():
        box["r"] = api3.call("GET", "/api/clients/q-dev/3/0/2?timeout=20", timeout=40)

    t = threading.Thread(target=queued_read)
    t.start()
    deadline = time.monotonic() + 3
    while metrics(api3).get("tether_queue_depth") != 1:
        check(time.monotonic() < deadline, "tether_queue_depth never became 1")
        time.sleep(0.05)
    ev3.wait("AWAKE", lambda x: x["ep"] == "q-dev", timeout=15)  # its next Update
    t.join(20)
    st, _, raw = box["r"]
    check(st == 200 and json.loads(raw)["content"]["value"] == "q-dev",
          "queued read: %d %s" % (st, raw[:200]))
    ev3.wait("SLEEPING", lambda x: x["ep"] == "q-dev", timeout=5,
             start=ev3.names().index("AWAKE"))
    t0 = time.monotonic()
    st, _, raw = api3.call("GET", "/api/clients/q-dev/3/0/2?timeout=0.5")
    took = time.monotonic() - t0
    check(st == 504 and b"withdrawn" in raw or st == 200,
          "short timeout on a sleeping client: %d %s" % (st, raw[:200]))
    check(metrics(api3).get("tether_queue_depth") == 0, "the withdrawn read is still queued")
    ok("queue mode: SLEEPING, a read waits in the queue (tether_queue_depth 1) until the "
       "client's Update (AWAKE), then answers; a short ?timeout= gives %d after %.1f s"
       % (st, took))
    qc.send_signal(signal.SIGTERM)
    qc.wait(10)
    ev3.close()
    mute3 = Device(d3.addr)
    check(mute3.register("ep=mute-3&lt=60&b=U")[0] == 65, "mute-3 did not register")
    box = {}
    t = threading.Thread(target=lambda: box.setdefault(
        "r", api3.call("GET", "/api/clients/mute-3/3/0?timeout=60", timeout=30)))
    t.start()
    deadline = time.monotonic() + 3
    while metrics(api3).get("tether_requests_in_flight") != 1:
        check(time.monotonic() < deadline, "the read to mute-3 never went out")
        time.sleep(0.05)
    check(d3.stop() == 0, "queue-mode tetherd did not stop cleanly")
    t.join(10)
    st, _, raw = box["r"]
    check(st == 503 and b"stopping" in raw, "a request in flight at stop: %d %s" % (st, raw))
    ok("stop with a request in flight: it is answered 503, exit 0")

    # --- the token ---------------------------------------------------------------------------------
    d2, port2 = start_tetherd("--http-token", "s3cret")
    api2 = Api(port2)
    api2.json("GET", "/api/clients", want=401)
    api2.json("GET", "/api/clients", want=401, headers={"Authorization": "Bearer wrong"})
    api2.json("GET", "/api/objectspecs", want=401, headers={"Authorization": "s3cret"})
    lst, _ = api2.json("GET", "/api/clients", headers={"Authorization": "Bearer s3cret"})
    check(lst == [], "with the token: %r" % lst)
    e401 = Events(port2)
    check(e401.status == 401, "event stream without the token: %d" % e401.status)
    e_ok = Events(port2, "?access_token=s3cret")
    check(e_ok.status == 200, "event stream with ?access_token: %d" % e_ok.status)
    e_ok.close()
    metrics(api2)  # no token needed
    st, _, _ = api2.call("GET", "/")
    check(st == 200, "static file with a token set: %d" % st)
    check(d2.stop() == 0, "tetherd with token did not stop cleanly")
    ok("--http-token: 401 without or with a wrong token, 200 with it; /metrics and / open")
    print("rest_api: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
