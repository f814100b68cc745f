#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tetherd --models DIR: documented in --help; a missing directory, a
# directory without *.xml and a broken DDF file each stop it at start-up
# with exit 2 and one sentence naming the path (and the file and line);
# a good directory loads and tetherd runs, then stops cleanly on SIGINT.
# Every tetherd started here is killed by PID on exit.
set -euo pipefail
tetherd="$TETHER_BUILD_DIR/tetherd"
models="$TETHER_SOURCE_DIR/tests/server/models"
pids=()
tmp=$(mktemp -d)
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

"$tetherd" --help | grep -q -- '--models DIR' || { echo "FAIL --help does not document --models"; exit 1; }
echo "ok   --help documents --models"

expect_exit2() { # expect_exit2 PATTERN ARGS...
  set +e; err=$("$tetherd" --coap 127.0.0.1:0 --http off --store memory "${@:2}" 2>&1 >/dev/null); rc=$?; set -e
  [ $rc -eq 2 ] || { echo "FAIL '${*:2}' exited $rc, want 2: $err"; exit 1; }
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && grep -qF -- "$1" <<<"$err" \
    || { echo "FAIL '${*:2}' printed: $err (want $1)"; exit 1; }
  echo "ok   ${*:2}: exit 2: $err"
}
expect_exit2 "tetherd: --models: $tmp/none: cannot open the directory" --models "$tmp/none"
mkdir "$tmp/empty"
expect_exit2 "tetherd: --models: $tmp/empty: no *.xml file in the directory" --models "$tmp/empty"
expect_exit2 "tetherd: --models: $models/broken/3303.xml:15: <Type> 'Strng' is not an LwM2M type" \
  --models "$models/broken"
expect_exit2 "tetherd: --models needs a directory" --models=

"$tetherd" --coap 127.0.0.1:0 --http off --store memory --models "$models/good" 2>"$tmp/good.log" &
pid=$!; pids+=("$pid")
for _ in $(seq 100); do grep -q 'ready' "$tmp/good.log" && break; sleep 0.05; done
grep -q "models: 2 object definitions loaded from $models/good, 10 known" "$tmp/good.log" \
  || { echo "FAIL no models line:"; cat "$tmp/good.log"; exit 1; }
kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
[ $rc -eq 0 ] || { echo "FAIL exit $rc after SIGINT"; cat "$tmp/good.log"; exit 1; }
echo "ok   --models $models/good: loaded, clean stop"
echo "tetherd_models: ok"
