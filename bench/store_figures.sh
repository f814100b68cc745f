#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The "Persistence" figures of docs/BENCHMARKS.md: what the SQLite store
# costs tetherd's Update throughput, with one command:
#
#   bench/store_figures.sh             # from the repository root
#
# For each fleet size (1,000 and 10,000 devices, window 1, closed loop),
# PAIRS rounds of three runs in turn, each tetherd fresh on a free loopback
# port with a fresh --data directory and stopped by PID (SIGTERM):
#   memory         --store memory
#   sqlite         --store sqlite --sync batch (the default)
#   sqlite-always  --store sqlite --sync always
# and the identical tether-bench command. Per run: Updates/s, p50 latency,
# the server's CPU per request (utime+stime from /proc/PID/stat) and the
# rows in tether.db after the stop (every device must be there). Summary:
# medians and the ratio sqlite/memory of each round and its median.
#
# Environment: BUILD_DIR (default ./build), PAIRS (default 5, at least 3),
# DURATION (seconds of load per run, default 5), SIZES (default
# "1000 10000"), SKIP_BUILD=1. Exits 1 if a run failed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
pairs=${PAIRS:-5}
duration=${DURATION:-5}
sizes=${SIZES:-1000 10000}
[ "$pairs" -ge 3 ] || { echo "PAIRS must be at least 3" >&2; exit 2; }

tmp=$(mktemp -d)
spid=""
cleanup() {
  if [ -n "$spid" ]; then kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  if grep -q '^TETHER_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
    echo "$build is a sanitizer build; use another BUILD_DIR" >&2; exit 2
  fi
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j2 --target tetherd tether-bench >/dev/null
fi
for b in tetherd tether-bench; do
  [ -x "$build/$b" ] || { echo "missing $build/$b" >&2; exit 2; }
done
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
ulimit -n "$(ulimit -Hn)"
tck=$(getconf CLK_TCK)

free_port() {
  python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start KIND: tetherd with the store of KIND, fresh --data; sets spid, sport.
start() {
  local args
  case $1 in
    memory) args=(--store memory) ;;
    sqlite) args=(--store sqlite --data "$tmp/data" --sync batch) ;;
    sqlite-always) args=(--store sqlite --data "$tmp/data" --sync always) ;;
  esac
  rm -rf "$tmp/data"
  sport=$(free_port)
  "$build/tetherd" --coap "127.0.0.1:$sport" "${args[@]}" 2>"$tmp/server.log" &
  spid=$!
  for _ in $(seq 200); do
    grep -q ready "$tmp/server.log" 2>/dev/null && return 0
    kill -0 "$spid" 2>/dev/null || break
    sleep 0.025
  done
  echo "tetherd $1 did not start:" >&2; cat "$tmp/server.log" >&2; exit 1
}

stop() {
  local rc=0
  kill -0 "$spid" 2>/dev/null || { echo "tetherd died during the run:" >&2; tail -5 "$tmp/server.log" >&2; exit 1; }
  kill "$spid"; wait "$spid" || rc=$?
  spid=""
  [ $rc -eq 0 ] || { echo "tetherd exited $rc:" >&2; tail -5 "$tmp/server.log" >&2; exit 1; }
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
field() { grep '^RESULT' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | tail -1; }
median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
minmax() { sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo ".." hi}'; }
: >"$tmp/results.tsv"
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$tmp/results.tsv"; }
col() { awk -v k="$1" -v w="$2" -F'\t' '$1 == k && $2 == w {print $3}' "$tmp/results.tsv"; }

rows() {
  python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from registrations").fetchone()[0])' "$tmp/data/tether.db"
}

echo "# bench/store_figures.sh: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg), build $build ($btype)," \
     "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')," \
     "SQLite $(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)'), data on $(df -T "$tmp" | awk 'NR == 2 {print $2}')"
echo "# PAIRS=$pairs DURATION=$duration"

kinds="memory sqlite sqlite-always"
for n in $sizes; do
  args=(--clients "$n" --window 1 --duration "$duration")
  echo "## tether-bench --server 127.0.0.1:PORT ${args[*]} --quiet"
  for p in $(seq "$pairs"); do
    line="round $p:"
    for kind in $kinds; do
      start "$kind"
      c0=$(cpu_ticks "$spid")
      "$build/tether-bench" --server "127.0.0.1:$sport" --quiet "${args[@]}" >"$tmp/bench.out"
      c1=$(cpu_ticks "$spid")
      stop
      ops=$(field ops_per_s "$tmp/bench.out")
      total=$(field ops "$tmp/bench.out")
      cpu=$(awk -v a="$c0" -v b="$c1" -v t="$tck" -v n="${total:-0}" 'BEGIN {printf "%.2f", n ? (b - a) * 1e6 / t / n : 0}')
      [ "$(field timeouts "$tmp/bench.out")" = 0 ] || echo "  warning: $kind had timeouts" >&2
      kept=-
      if [ "$kind" != memory ]; then
        kept=$(rows)
        [ "$kept" -eq "$n" ] || { echo "  $kind kept $kept rows of $n" >&2; exit 1; }
      fi
      rec "ops_$n" "$kind" "$ops"
      rec "cpu_$n" "$kind" "$cpu"
      rec "p50_$n" "$kind" "$(field p50_us "$tmp/bench.out")"
      eval "ops_${kind//-/_}=$ops"
      line+=" $kind $ops/s (CPU $cpu us/op, p50 $(field p50_us "$tmp/bench.out") us, rows $kept),"
    done
    ratio=$(awk -v a="$ops_sqlite" -v b="$ops_memory" 'BEGIN {printf "%.3f", a / b}')
    ratio_a=$(awk -v a="$ops_sqlite_always" -v b="$ops_memory" 'BEGIN {printf "%.3f", a / b}')
    rec "ratio_$n" x "$ratio"
    rec "ratio_always_$n" x "$ratio_a"
    echo "  $line sqlite/memory $ratio, always/memory $ratio_a"
  done
done

echo
echo "## summary (medians of $pairs rounds; range in brackets)"
echo "| devices | store | Updates/s | server CPU us/op | p50 us | ratio to memory |"
echo "|---|---|---|---|---|---|"
for n in $sizes; do
  for kind in $kinds; do
    case $kind in
      memory) r="1" ;;
      sqlite) r="$(col "ratio_$n" x | median) [$(col "ratio_$n" x | minmax)]" ;;
      sqlite-always) r="$(col "ratio_always_$n" x | median) [$(col "ratio_always_$n" x | minmax)]" ;;
    esac
    echo "| $n | $kind | $(col "ops_$n" "$kind" | median) [$(col "ops_$n" "$kind" | minmax)] | $(col "cpu_$n" "$kind" | median) | $(col "p50_$n" "$kind" | median) | $r |"
  done
done
