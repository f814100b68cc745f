#!/usr/bin/env bash
# tetherd driven by libcoap's coap-client (an independent CoAP peer):
# Register / Update / De-register and their errors, checked on the wire
# (libcoap's -v 7 output: "c:2.01", "Location-Path:...") and in tetherd's
# event lines; then R6 expiry of a 1-second registration within a second.
# tetherd listens on a free loopback port and is killed by PID on exit.
set -euo pipefail
tetherd="$TETHER_BUILD_DIR/tetherd"
client=coap-client-notls
command -v "$client" >/dev/null || { echo "SKIP: $client not installed"; exit 0; }

log=$(mktemp)
"$tetherd" --coap 127.0.0.1:0 --http off --store memory 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 100); do grep -q 'ready' "$log" && break; sleep 0.05; done
port=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$log" | head -1)
[ -n "$port" ] || { echo "tetherd did not start:"; cat "$log"; exit 1; }
base="coap://127.0.0.1:$port"

fails=0
check() { # check NAME WANT OUTPUT
  local got
  got=$(printf '%s\n' "$3" | sed -n 's/.*t:ACK c:\([0-9]\.[0-9][0-9]\).*/\1/p' | head -1)
  if [ "$got" = "$2" ]; then echo "ok   $1: $got"; else echo "FAIL $1: want $2, got '${got:-no answer}'"; fails=$((fails + 1)); fi
}
coap() { "$client" -v 7 -B 5 "$@" 2>&1 || true; }
wait_log() { # wait_log REGEX
  for _ in $(seq 60); do grep -Eq "$1" "$log" && return 0; sleep 0.05; done
  echo "FAIL log has no line matching /$1/"; fails=$((fails + 1))
}

# Register (R1): 2.01 with Location-Path rd/{id}.
out=$(coap -m post -t 40 -e '</1/0>,</3/0>,</0/0>' "$base/rd?ep=cc-dev&lt=60&b=UQ")
check register 2.01 "$out"
id=$(printf '%s\n' "$out" | sed -n 's/.*Location-Path:rd, Location-Path:\([A-Za-z0-9_-]*\).*/\1/p' | head -1)
[ -n "$id" ] && [ ${#id} -le 12 ] || { echo "FAIL no short location id in: $out"; exit 1; }
wait_log "event=registered ep=cc-dev id=$id addr=127\.0\.0\.1:[0-9]+ lt=60 b=UQ lwm2m=1\.0 objects=</1/0>,</3/0>$"
grep -q 'Security Object' "$log" || { echo "FAIL R18 drop not logged"; fails=$((fails + 1)); }

# Update (R1, R8): 2.04, the new lt is logged.
check update 2.04 "$(coap -m post "$base/rd/$id?lt=120")"
wait_log "event=updated ep=cc-dev id=$id .*lt=120 .*changed=lt,addr"
check update-payload 2.04 "$(coap -m post -t 40 -e '</3/0>,</4/0>' "$base/rd/$id")"
# Each coap-client run has a new source port, so the address changes too (R14).
wait_log "event=updated ep=cc-dev .*changed=objects,addr objects=</3/0>,</4/0>"

# Errors: bad parameters 4.00, unsupported version 4.12, unknown 4.04,
# wrong method 4.05.
check no-ep 4.00 "$(coap -m post -t 40 -e '</1/0>' "$base/rd?lt=60")"
check bad-lt 4.00 "$(coap -m post -t 40 -e '</1/0>' "$base/rd?ep=x&lt=0")"
check bad-binding 4.00 "$(coap -m post -t 40 -e '</1/0>' "$base/rd?ep=x&lt=60&b=QU")"
check bad-links 4.00 "$(coap -m post -t 40 -e '</1/0' "$base/rd?ep=x&lt=60")"
check version 4.12 "$(coap -m post -t 40 -e '</1/0>' "$base/rd?ep=x&lt=60&lwm2m=2.0")"
check bad-update 4.00 "$(coap -m post "$base/rd/$id?lt=abc")"
check unknown-update 4.04 "$(coap -m post "$base/rd/AAAAAAAAAA")"
check unknown-path 4.04 "$(coap -m get "$base/foo")"
check get-rd 4.05 "$(coap -m get "$base/rd")"
check put-location 4.05 "$(coap -m put "$base/rd/$id")"

# R15: the same endpoint registers again; the old location is gone.
out=$(coap -m post -t 40 -e '</1/0>' "$base/rd?ep=cc-dev&lt=60")
check re-register 2.01 "$out"
id2=$(printf '%s\n' "$out" | sed -n 's/.*Location-Path:rd, Location-Path:\([A-Za-z0-9_-]*\).*/\1/p' | head -1)
[ "$id2" != "$id" ] || { echo "FAIL re-register kept the id"; fails=$((fails + 1)); }
wait_log "event=replaced ep=cc-dev id=$id "
check old-location 4.04 "$(coap -m post "$base/rd/$id")"

# De-register (R1): 2.02, then 4.04.
check deregister 2.02 "$(coap -m delete "$base/rd/$id2")"
wait_log "event=deregistered ep=cc-dev id=$id2 "
check deregister-again 4.04 "$(coap -m delete "$base/rd/$id2")"

# R6: lt=1 expires one second after the Register, logged within a second.
start=$(date +%s%N)
check short 2.01 "$(coap -m post -t 40 -e '</1/0>' "$base/rd?ep=short&lt=1")"
wait_log "event=expired ep=short "
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "expired after ${ms} ms"
if [ "$ms" -lt 900 ] || [ "$ms" -gt 2500 ]; then echo "FAIL expiry after ${ms} ms, want ~1000"; fails=$((fails + 1)); fi

# JSON: not here (tetherd_cli.sh); clean stop with SIGTERM.
kill -TERM $pid
rc=0; wait $pid || rc=$?
[ $rc -eq 0 ] || { echo "FAIL tetherd exited $rc after SIGTERM"; fails=$((fails + 1)); }
grep -q 'stopped:' "$log" || { echo "FAIL no stop line"; fails=$((fails + 1)); }

if [ $fails -ne 0 ]; then echo "--- tetherd log"; cat "$log"; echo "$fails failure(s)"; exit 1; fi
echo "tetherd_coap_client: ok"
