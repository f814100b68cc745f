# SPDX-License-Identifier: Apache-2.0
# What bench/server_figures.sh and bench/store_figures.sh share; sourced
# (not run) after `set -euo pipefail`. Sets root, build (BUILD_DIR),
# pairs (PAIRS, at least 3), duration (DURATION), tmp (removed at exit,
# with the server of spid killed by PID), tck, and an empty
# $tmp/results.tsv; raises the open-files limit. Defines the helpers below.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
pairs=${PAIRS:-5}
duration=${DURATION:-5}
[ "$pairs" -ge 3 ] || { echo "PAIRS must be at least 3" >&2; exit 2; }

tmp=$(mktemp -d)
spid=""
cleanup() {
  if [ -n "$spid" ]; then kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n "$(ulimit -Hn)" # 10,000 device sockets in one tether-bench
tck=$(getconf CLK_TCK)
: >"$tmp/results.tsv"

# build_tether: unless SKIP_BUILD=1, build tetherd and tether-bench
# (RelWithDebInfo) into $build, refusing a sanitizer build.
build_tether() {
  [ "${SKIP_BUILD:-0}" != 1 ] || return 0
  if grep -q '^TETHER_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
    echo "$build is a sanitizer build; use another BUILD_DIR" >&2; exit 2
  fi
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j2 --target tetherd tether-bench >/dev/null
}

# need BIN...: exit 2 unless every $build/BIN is executable.
need() {
  for b in "$@"; do
    [ -x "$build/$b" ] || { echo "missing $build/$b" >&2; exit 2; }
  done
}

free_port() {
  python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_ready NAME WORD: wait (5 s at most) for WORD in $tmp/server.log, the
# stderr of the server just started as spid; exit 1 if it does not come.
wait_ready() {
  for _ in $(seq 200); do
    grep -q "$2" "$tmp/server.log" 2>/dev/null && return 0
    kill -0 "$spid" 2>/dev/null || break
    sleep 0.025
  done
  echo "$1 did not start:" >&2; cat "$tmp/server.log" >&2; exit 1
}

# stop: SIGTERM the server by PID; fail if it had died or exits non-zero.
stop() {
  local rc=0
  kill -0 "$spid" 2>/dev/null || { echo "server $spid died during the run:" >&2; tail -5 "$tmp/server.log" >&2; exit 1; }
  kill "$spid"; wait "$spid" || rc=$?
  spid=""
  [ $rc -eq 0 ] || { echo "server exited $rc:" >&2; tail -5 "$tmp/server.log" >&2; exit 1; }
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# field NAME FILE: the value of NAME=... on the RESULT line.
field() { grep '^RESULT' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | tail -1; }

median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
minmax() { sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo ".." hi}'; }
# rec KEY WHO VALUE / col KEY WHO: a row of $tmp/results.tsv, and the values.
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$tmp/results.tsv"; }
col() { awk -v k="$1" -v w="$2" -F'\t' '$1 == k && $2 == w {print $3}' "$tmp/results.tsv"; }

# header SCRIPT [MORE]: the first two lines of the output (machine, load,
# build, commit, MORE; PAIRS and DURATION).
header() {
  local btype
  btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
  echo "# $1: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores," \
       "load average $(cut -d' ' -f1-3 /proc/loadavg), build $build ($btype)," \
       "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')${2:+, $2}"
  echo "# PAIRS=$pairs DURATION=$duration"
}
