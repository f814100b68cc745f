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

sizes=${SIZES:-1000 10000}
. "$(dirname "$0")/lib.sh"
build_tether
need tetherd tether-bench

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
  wait_ready "tetherd $1" ready
}

rows() {
  python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from registrations").fetchone()[0])' "$tmp/data/tether.db"
}

header bench/store_figures.sh "SQLite $(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)'), data on $(df -T "$tmp" | awk 'NR == 2 {print $2}')"

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
