#!/usr/bin/env bash
# tetherd's command line: --help documents every flag, each bad flag or
# value exits 2 with one clear sentence, a port already taken exits 1,
# SIGINT and SIGTERM stop it cleanly (exit 0, summary line), and
# --log-format json writes one JSON object per line. Every tetherd started
# here is killed by PID on exit.
set -euo pipefail
tetherd="$TETHER_BUILD_DIR/tetherd"
pids=()
tmp=$(mktemp -d)
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

help=$("$tetherd" --help)
for flag in --coap --default-lifetime --grace --ssid --lifetime-sync --log-level --log-format --help; do
  grep -q -- "$flag" <<<"$help" || { echo "FAIL --help does not document $flag"; exit 1; }
done
grep -q '\[::\]:5683' <<<"$help" || { echo "FAIL --help does not give the default address"; exit 1; }
grep -q '86400' <<<"$help" || { echo "FAIL --help does not give the default lifetime"; exit 1; }
echo "ok   --help documents every flag"

for bad in "--bogus" "--coap" "--default-lifetime 0" "--default-lifetime x" "--grace -1" \
           "--ssid 0" "--ssid 65536" "--lifetime-sync sometimes" "--log-level loud" \
           "--log-format xml" "extra" "--default-lifetime=4294967296"; do
  set +e; err=$("$tetherd" $bad 2>&1 >/dev/null); rc=$?; set -e
  [ $rc -eq 2 ] || { echo "FAIL '$bad' exited $rc, want 2"; exit 1; }
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && grep -q '^tetherd: .*(try --help)$' <<<"$err" \
    || { echo "FAIL '$bad' printed: $err"; exit 1; }
done
echo "ok   bad flags exit 2 with one sentence"

start() { # start LOGFILE ARGS... ; sets $pid and $port
  "$tetherd" --coap 127.0.0.1:0 --http off --store memory "${@:2}" 2>"$1" &
  pid=$!; pids+=("$pid")
  for _ in $(seq 100); do grep -q 'ready' "$1" && break; sleep 0.05; done
  port=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$1" | head -1)
  [ -n "$port" ] || { echo "FAIL tetherd did not start:"; cat "$1"; exit 1; }
}

for sig in INT TERM; do
  start "$tmp/$sig.log"
  kill -$sig "$pid"
  rc=0; wait "$pid" || rc=$?
  [ $rc -eq 0 ] || { echo "FAIL exit $rc after SIG$sig"; exit 1; }
  grep -q 'stopped: 0 registrations live' "$tmp/$sig.log" || { echo "FAIL no summary after SIG$sig"; exit 1; }
  echo "ok   SIG$sig: clean stop, exit 0"
done

# A taken port is a clear error, exit 1.
start "$tmp/a.log"
set +e; err=$("$tetherd" --coap "127.0.0.1:$port" --http off --store memory 2>&1); rc=$?; set -e
[ $rc -eq 1 ] && grep -q "127.0.0.1:$port" <<<"$err" || { echo "FAIL second bind: rc $rc: $err"; exit 1; }
echo "ok   port in use: exit 1: $err"
kill "$pid"; wait "$pid" || true

# JSON lines.
start "$tmp/json.log" --log-format json --log-level debug
coap-client-notls -B 3 -m post -t 40 -e '</3/0>' "coap://127.0.0.1:$port/rd?ep=j%22son&lt=60" >/dev/null 2>&1 || true
coap-client-notls -B 3 -m get "coap://127.0.0.1:$port/nothing" >/dev/null 2>&1 || true
for _ in $(seq 60); do grep -q '"event":"registered"' "$tmp/json.log" && break; sleep 0.05; done
kill "$pid"; wait "$pid" || true
python3 - "$tmp/json.log" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [json.loads(l) for l in lines]
reg = [o for o in objs if o.get("event") == "registered"]
assert reg and reg[0]["ep"] == 'j"son' and reg[0]["lt"] == 60 and reg[0]["objects"] == ["/3/0"], reg
assert all("ts" in o and "level" in o for o in objs)
assert any(o.get("module") == "server" and "4.04" in o.get("msg", "") for o in objs), objs
print("ok   %d JSON lines parse; registered event: %s" % (len(objs), json.dumps(reg[0])))
PY
echo "tetherd_cli: ok"
