#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interop of Tether's CoAP core (UDP adapter + exchange layer + block-wise
# helpers) with libcoap, an independent implementation, in both roles:
#   1. tests/tools/tcoap_server driven by coap-client-notls: GET, POST, PUT,
#      DELETE with paths and queries, 4.04 and 4.05, a Block1 upload and a
#      Block2 download of more than 1 KiB (several block sizes).
#   2. coap-server-notls driven by tests/tools/tcoap_client: GET /, the
#      1500-byte /example_data in Block2 blocks, PUT/GET/DELETE of dynamic
#      resources, a 3000-byte Block1 PUT read back with Block2.
# coap-client exits 0 whatever happens, so codes are read from its -v 7
# dump ("c:2.05") and payloads from its -o file. Everything listens on
# loopback, every process started is killed by PID on exit, and every
# client call has a timeout so that a hang fails instead of hanging.
set -euo pipefail

build=${TETHER_BUILD_DIR:-$(pwd)}
srv_bin=$build/tests/tcoap_server
cli_bin=$build/tests/tcoap_client
for b in "$srv_bin" "$cli_bin"; do
  [ -x "$b" ] || { echo "FAIL: $b not built" >&2; exit 1; }
done
for t in coap-client-notls coap-server-notls; do
  command -v "$t" >/dev/null || { echo "FAIL: $t missing (scripts/deps.sh installs libcoap3-bin)" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/last.log "$work"/srv.err "$work"/libcoap.log; do
    [ -s "$f" ] && { echo "--- $f (tail)" >&2; tail -n 25 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok: $*"; }

# One python3 run (its start-up is slow on a loaded machine) writes the
# deterministic bodies, with the same formulas as the tools, and prints
# their FNV-1a 32 (as tcoap_server and tcoap_client print it), a UDP port
# free right now (for coap-server, which cannot report one), and whether
# IPv6 loopback works.
read -r fnv3000 fnv1200 lport have_v6 < <(python3 - "$work" <<'PY'
import socket, sys
w = sys.argv[1]
def put(name, data):
    open(w + "/" + name, "wb").write(data)
def fnv(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xffffffff
    return "%08x" % h
put("large.ref", bytes(97 + (7 * i) % 26 for i in range(2500)))
up3000 = bytes(65 + i % 26 for i in range(3000))
up1200 = bytes(48 + i % 10 for i in range(1200))
put("up3000", up3000)
put("up1200", up1200)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
try:
    socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).bind(("::1", 0))
    v6 = 1
except OSError:
    v6 = 0
print(fnv(up3000), fnv(up1200), port, v6)
PY
) || true
[ -n "$have_v6" ] || fail "python3 helper failed"

# ---- 1. libcoap client -> tcoap_server ---------------------------------

"$srv_bin" 0 >"$work/srv.out" 2>"$work/srv.err" &
pids+=($!)
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/^ready port=\([0-9]*\)$/\1/p' "$work/srv.out")
  [ -n "$port" ] && break
  kill -0 "${pids[-1]}" 2>/dev/null || fail "tcoap_server exited"
  sleep 0.1
done
[ -n "$port" ] || fail "tcoap_server did not report ready"
base="coap://127.0.0.1:$port"

# cc ARGS...: run coap-client; dump in last.log, payload in last.out.
cc() {
  rm -f "$work/last.out"
  timeout 30 coap-client-notls -v 7 -B 10 -o "$work/last.out" "$@" >"$work/last.log" 2>&1 || true
}
last_code() { grep -o 'c:[0-9]\.[0-9][0-9]' "$work/last.log" | tail -n 1 | cut -c3- || true; }
expect_code() {
  local got; got=$(last_code)
  [ "$got" = "$1" ] || fail "$2: code '${got}', want $1"
}
expect_payload() {
  local got=""; [ -f "$work/last.out" ] && got=$(cat "$work/last.out")
  [ "$got" = "$1" ] || fail "$2: payload '$got', want '$1'"
}
expect_log() { grep -q -- "$1" "$work/last.log" || fail "$2: '$1' not in the exchange"; }

cc -m get "$base/hello/world?a=1&b=two"
expect_code 2.05 "GET with queries"
expect_payload "GET /hello/world?a=1&b=two" "GET with queries"
pass "libcoap GET with path and queries"

cc -m post -e "some data" "$base/things?x=y"
expect_code 2.04 "POST"
expect_payload "$(printf 'POST /things?x=y\nsome data')" "POST"
pass "libcoap POST with payload and query"

cc -m put -e v1 "$base/things/1"
expect_code 2.04 "PUT"
expect_payload "$(printf 'PUT /things/1\nv1')" "PUT"
pass "libcoap PUT"

cc -m delete "$base/things/1?force"
expect_code 2.02 "DELETE"
expect_payload "DELETE /things/1?force" "DELETE"
pass "libcoap DELETE with query"

cc -m get "$base/missing/thing"
expect_code 4.04 "GET of a missing resource"
cc -m fetch -e x "$base/things"
expect_code 4.05 "FETCH (not served)"
pass "libcoap sees 4.04 and 4.05"

for bs in 256 1024; do
  cc -m put -b "$bs" -f "$work/up3000" "$base/upload"
  expect_code 2.04 "Block1 PUT of 3000 bytes in $bs-byte blocks"
  expect_log "Block1:1/M/$bs" "Block1 PUT in $bs-byte blocks"
  expect_payload "len=3000 fnv1a=$fnv3000" "Block1 PUT in $bs-byte blocks"
done
cc -m post -b 64 -f "$work/up1200" "$base/upload"
expect_code 2.04 "Block1 POST of 1200 bytes in 64-byte blocks"
expect_payload "len=1200 fnv1a=$fnv1200" "Block1 POST"
pass "libcoap Block1 uploads (3000 bytes PUT at 256 and 1024, 1200 bytes POST at 64)"

cc -m get "$base/large"
expect_code 2.05 "Block2 GET of /large"
expect_log "Block2:2/_/1024" "Block2 GET of /large"
cmp -s "$work/last.out" "$work/large.ref" || fail "Block2 GET of /large: body differs"
cc -m get -b 128 "$base/large"
expect_code 2.05 "Block2 GET of /large in 128-byte blocks"
expect_log "Block2:19/_/128" "Block2 GET of /large in 128-byte blocks"
cmp -s "$work/last.out" "$work/large.ref" || fail "Block2 GET in 128-byte blocks: body differs"
pass "libcoap Block2 download of 2500 bytes (1024 and 128-byte blocks)"

if [ "$have_v6" = 1 ]; then
  "$srv_bin" 0 "[::1]" >"$work/srv6.out" 2>>"$work/srv.err" &
  pids+=($!)
  port6=""
  for _ in $(seq 100); do
    port6=$(sed -n 's/^ready port=\([0-9]*\)$/\1/p' "$work/srv6.out")
    [ -n "$port6" ] && break
    sleep 0.1
  done
  [ -n "$port6" ] || fail "tcoap_server on ::1 did not report ready"
  cc -m get "coap://[::1]:$port6/six?v=6"
  expect_code 2.05 "GET over IPv6"
  expect_payload "GET /six?v=6" "GET over IPv6"
  pass "libcoap GET over IPv6"
fi

# ---- 2. tcoap_client -> libcoap server ----------------------------------

coap-server-notls -A 127.0.0.1 -p "$lport" -d 10 -v 3 >"$work/libcoap.log" 2>&1 &
pids+=($!)
lbase="coap://127.0.0.1:$lport"

# tc ARGS...: run tcoap_client; its line in last.log, payload in last.out.
tc() {
  rm -f "$work/last.out"
  timeout 30 "$cli_bin" -T 20 -o "$work/last.out" "$@" >"$work/last.log" 2>&1 || true
}
tc_line() { grep '^code=' "$work/last.log" || true; }
expect_line() {
  local got; got=$(tc_line)
  case "$got" in $1) ;; *) fail "$2: got '$got', want '$1'" ;; esac
}

up=""
for _ in $(seq 50); do
  timeout 5 "$cli_bin" -T 1 "$lbase/" >"$work/last.log" 2>&1 && { up=1; break; }
  kill -0 "${pids[-1]}" 2>/dev/null || fail "coap-server-notls exited"
  sleep 0.1
done
[ -n "$up" ] || fail "coap-server-notls does not answer on port $lport"

tc "$lbase/"
expect_line "code=2.05 len=* fnv1a=*" "GET / from libcoap"
grep -q "This is a test server made with libcoap" "$work/last.out" || fail "GET /: unexpected body"
pass "tcoap_client GET / from coap-server"

# The reference copy comes from libcoap's own client.
cc -m get "$lbase/example_data"
expect_code 2.05 "coap-client GET /example_data"
cp "$work/last.out" "$work/example.ref"
[ "$(wc -c <"$work/example.ref")" -gt 1024 ] || fail "/example_data is not larger than one block"
for bs in 1024 64; do
  tc -b "$bs" "$lbase/example_data"
  expect_line "code=2.05 len=$(wc -c <"$work/example.ref") fnv1a=*" \
    "Block2 GET /example_data in $bs-byte blocks"
  cmp -s "$work/last.out" "$work/example.ref" || fail "Block2 GET /example_data ($bs): body differs"
done
pass "tcoap_client Block2 download of /example_data (1024 and 64-byte blocks)"

tc -m put -e hello "$lbase/dyn1"
expect_line "code=2.01 *" "PUT creating /dyn1"
tc "$lbase/dyn1"
expect_line "code=2.05 len=5 *" "GET /dyn1"
[ "$(cat "$work/last.out")" = hello ] || fail "GET /dyn1: payload '$(cat "$work/last.out")'"
tc -m put -e again "$lbase/dyn1"
expect_line "code=2.04 *" "PUT replacing /dyn1"
tc "$lbase/dyn1"
[ "$(cat "$work/last.out")" = again ] || fail "GET /dyn1 after update: payload '$(cat "$work/last.out")'"
tc -m delete "$lbase/dyn1"
expect_line "code=2.02 *" "DELETE /dyn1"
tc "$lbase/dyn1"
expect_line "code=4.04 *" "GET /dyn1 after DELETE"
pass "tcoap_client PUT/GET/PUT/DELETE/GET of a dynamic resource"

for bs in 256 1024; do
  tc -m put -u 3000 -b "$bs" "$lbase/big$bs"
  expect_line "code=2.01 *" "Block1 PUT of 3000 bytes in $bs-byte blocks"
  tc "$lbase/big$bs"
  expect_line "code=2.05 len=3000 fnv1a=$fnv3000" "GET back the 3000-byte body ($bs)"
  cmp -s "$work/last.out" "$work/up3000" || fail "GET /big$bs: body differs"
done
pass "tcoap_client Block1 PUT of 3000 bytes read back with Block2"

kill -0 "${pids[0]}" 2>/dev/null || fail "tcoap_server died during the run"
echo "interop_libcoap: all passed"
