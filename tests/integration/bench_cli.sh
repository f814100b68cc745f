#!/usr/bin/env bash
# tether-bench's command line: help, bad flags exit 2 with a sentence, and a
# short run against a throwaway responder built on Python's stdlib that
# answers Register with 2.01 and Update with 2.04 (the RESULT line parses).
set -euo pipefail
bench="$TETHER_BUILD_DIR/tether-bench"

"$bench" --help | grep -q -- '--registrations' || { echo "help lacks --registrations"; exit 1; }
for bad in "--clients 0" "--window 99" "--mode nope" "--duration -1" "--bogus" "--lifetime 0"; do
  set +e; err=$("$bench" --server 127.0.0.1:1 $bad 2>&1 >/dev/null); rc=$?; set -e
  [ $rc -eq 2 ] || { echo "'$bad' exited $rc, want 2"; exit 1; }
  [ -n "$err" ] || { echo "'$bad' printed no error"; exit 1; }
done
set +e; "$bench" 2>/dev/null; rc=$?; set -e
[ $rc -eq 2 ] || { echo "missing --server exited $rc"; exit 1; }

port_file=$(mktemp)
python3 - "$port_file" <<'PY' &
import socket, sys, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(20)
n = 0
try:
    while True:
        data, addr = s.recvfrom(2048)
        tkl = data[0] & 15
        mid = data[2:4]
        tok = data[4:4 + tkl]
        if data[1] == 2 and data[4 + tkl:4 + tkl + 3] == b"\xb2rd" and b"ep=" in data:
            n += 1
            loc = str(n).encode()
            out = bytes([0x60 | tkl, 0x41]) + mid + tok + b"\x82rd" + bytes([len(loc)]) + loc
        else:
            out = bytes([0x60 | tkl, 0x44]) + mid + tok
        s.sendto(out, addr)
except socket.timeout:
    pass
PY
srv=$!
trap 'kill $srv 2>/dev/null || true; rm -f "$port_file"' EXIT
for _ in $(seq 50); do [ -s "$port_file" ] && break; sleep 0.1; done
port=$(cat "$port_file")
out=$("$bench" --server 127.0.0.1:"$port" --clients 5 --duration 1 --quiet)
echo "$out"
echo "$out" | grep -q '^REGISTERED devices=5 of=5' || { echo "devices did not register"; exit 1; }
echo "$out" | grep -Eq '^RESULT mode=update .*ops=[1-9][0-9]* .*codes=2\.04:' || { echo "no updates measured"; exit 1; }
# Fill with a count the clients do not divide: every socket stops at its
# share, and the run ends (it once waited forever on the last socket).
out=$(timeout 20 "$bench" --server 127.0.0.1:"$port" --registrations 30 --clients 8 --quiet) ||
  { echo "fill of 30 over 8 clients did not finish"; exit 1; }
echo "$out" | grep -q '^RESULT mode=fill registrations=30 ' || { echo "fill: $out"; exit 1; }
echo "bench_cli: ok"
