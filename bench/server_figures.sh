#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The "Registration server" figures of docs/BENCHMARKS.md, with one command:
#
#   bench/server_figures.sh            # from the repository root
#
# It builds tetherd and tether-bench (RelWithDebInfo, the default build type)
# and the stateless ceiling nullrd (../shared/tools/nullrd.c, gcc -O2) into
# the build directory, then measures, each server started fresh on a free
# loopback port for each run and stopped by PID:
#
#   1. Update throughput, window 1, 1,000 and 10,000 devices: PAIRS pairs of
#      runs, tetherd and nullrd alternating with the identical tether-bench
#      command; the ratio tetherd/nullrd of each pair, and its median. Also
#      the server's CPU time per request (utime+stime from /proc/PID/stat),
#      which the shared machine's scheduling disturbs much less.
#      nullrd runs with --threads 1 (its default; tetherd is single-threaded);
#      one run with --threads 2 per size is printed for information.
#   2. Service latency, open loop, at half of tetherd's median peak from 1
#      (1,000 devices): p50/p99 per run, PAIRS pairs, medians.
#   3. Registration storm: 10,000 new devices Register at once (PAIRS pairs):
#      registered, seconds, retransmissions, and the kernel's UDP
#      RcvbufErrors during the run (a machine-wide counter). Then one storm
#      against tetherd without lt, to show the R10 lifetime reads.
#   4. Resident memory per registration: tetherd filled with 100,000 and
#      1,000,000 registrations (three-entry object list, 1,000 sockets with
#      many endpoints each); (VmRSS after - VmRSS before) / M.
#
# tetherd runs with its defaults (event lines at info, one per Register and
# Update) and its stderr goes to a file, as an operator's would; the memory
# runs use --log-level warn so a million event lines are not written.
#
# Environment: BUILD_DIR (default ./build), NULLRD_SRC (default
# ../shared/tools/nullrd.c), PAIRS (default 5, at least 3), DURATION (seconds
# of load per throughput/latency run, default 5), SKIP_BUILD=1 (use the
# binaries as they are), SECTIONS (default "throughput latency storm memory").
# Prints every run as it goes, then a summary; exits 1 if a run failed.
set -euo pipefail

sections=${SECTIONS:-throughput latency storm memory}
. "$(dirname "$0")/lib.sh"
nullrd_src=${NULLRD_SRC:-$root/../shared/tools/nullrd.c}

# --- build ------------------------------------------------------------------

build_tether
[ "${SKIP_BUILD:-0}" = 1 ] || gcc -O2 -Wall -Wextra -pthread -o "$build/nullrd" "$nullrd_src"
need tetherd tether-bench nullrd

# --- servers ----------------------------------------------------------------

# start KIND [ARGS...]: KIND tetherd, nullrd (--threads 1) or nullrd2
# (--threads 2). Sets spid and sport; the server's stderr is $tmp/server.log.
start() {
  local kind=$1; shift
  local ready
  sport=$(free_port)
  case $kind in
    # --store memory: these are the engine's figures (the store's cost is
    # bench/store_figures.sh's, docs/BENCHMARKS.md "Persistence").
    tetherd) "$build/tetherd" --coap "127.0.0.1:$sport" --store memory --http off "$@" 2>"$tmp/server.log" & ready=ready ;;
    nullrd)  "$build/nullrd" "$sport" --threads 1 2>"$tmp/server.log" & ready=listening ;;
    nullrd2) "$build/nullrd" "$sport" --threads 2 2>"$tmp/server.log" & ready=listening ;;
  esac
  spid=$!
  wait_ready "$kind" "$ready"
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# Datagrams the kernel dropped on the server's socket (full receive buffer).
sock_drops() { ss -Huamn "sport = :$sport" | sed -n 's/.*skmem:(.*,d\([0-9]*\)).*/\1/p' | head -1; }

# regfield NAME FILE: as field, on the REGISTERED line.
regfield() { grep '^REGISTERED' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | tail -1; }

# run KIND BENCH_ARGS...: one fresh server, one tether-bench run; sets
# cpu_us (server CPU per request) and drops (datagrams the kernel dropped
# on the server's socket) and leaves the output in $tmp/bench.out.
run() {
  local kind=$1; shift
  local c0 c1 ops
  start "$kind"
  c0=$(cpu_ticks "$spid")
  "$build/tether-bench" --server "127.0.0.1:$sport" --quiet "$@" >"$tmp/bench.out"
  c1=$(cpu_ticks "$spid")
  drops=$(sock_drops)
  ops=$(field ops "$tmp/bench.out")
  cpu_us=$(awk -v a="$c0" -v b="$c1" -v t="$tck" -v n="${ops:-0}" 'BEGIN {printf "%.2f", n ? (b - a) * 1e6 / t / n : 0}')
  stop
}

header bench/server_figures.sh

# --- 1. throughput --------------------------------------------------------------

has() { case " $sections " in *" $1 "*) return 0 ;; esac; return 1; }

if has throughput || has latency; then
  for n in 1000 10000; do
    has throughput || [ $n -eq 1000 ] || continue
    args=(--clients "$n" --window 1 --duration "$duration")
    echo "## throughput: tether-bench --server 127.0.0.1:PORT ${args[*]} --quiet"
    for p in $(seq "$pairs"); do
      line="pair $p:"
      for kind in tetherd nullrd; do
        run "$kind" "${args[@]}"
        ops=$(field ops_per_s "$tmp/bench.out")
        [ "$(field timeouts "$tmp/bench.out")" = 0 ] || echo "  warning: $kind had timeouts" >&2
        rec "tput_$n" "$kind" "$ops"
        rec "cpu_$n" "$kind" "$cpu_us"
        eval "ops_$kind=$ops cpu_$kind=$cpu_us"
        line+=" $kind $ops ops/s (server CPU $cpu_us us/op, p50 $(field p50_us "$tmp/bench.out") us),"
      done
      ratio=$(awk -v a="$ops_tetherd" -v b="$ops_nullrd" 'BEGIN {printf "%.3f", a / b}')
      cratio=$(awk -v a="$cpu_tetherd" -v b="$cpu_nullrd" 'BEGIN {printf "%.3f", b / a}')
      rec "ratio_$n" x "$ratio"
      rec "cratio_$n" x "$cratio"
      echo "  $line ratio $ratio, CPU ratio nullrd/tetherd $cratio"
    done
    if has throughput; then
      run nullrd2 "${args[@]}"
      rec "tput_$n" nullrd2 "$(field ops_per_s "$tmp/bench.out")"
      rec "cpu_$n" nullrd2 "$cpu_us"
      echo "  information: nullrd --threads 2: $(field ops_per_s "$tmp/bench.out") ops/s (server CPU $cpu_us us/op)"
    fi
  done
fi

# --- 2. latency -----------------------------------------------------------------

if has latency; then
  peak=$(col tput_1000 tetherd | median)
  rate=$(awk -v p="$peak" 'BEGIN {printf "%d", p / 2}')
  args=(--clients 1000 --rate "$rate" --duration "$duration")
  echo "## latency: tether-bench --server 127.0.0.1:PORT ${args[*]} --quiet  (half of tetherd's median peak $peak)"
  for p in $(seq "$pairs"); do
    line="pair $p:"
    for kind in tetherd nullrd; do
      run "$kind" "${args[@]}"
      for k in p50_us p99_us max_us ops_per_s skipped timeouts; do
        rec "lat_$k" "$kind" "$(field $k "$tmp/bench.out")"
      done
      line+=" $kind p50 $(field p50_us "$tmp/bench.out") p99 $(field p99_us "$tmp/bench.out") max $(field max_us "$tmp/bench.out") us ($(field ops_per_s "$tmp/bench.out") ops/s, skipped $(field skipped "$tmp/bench.out")),"
    done
    echo "  $line"
  done
fi

# --- 3. storm -------------------------------------------------------------------

if has storm; then
  args=(--clients 10000 --duration 0)
  echo "## storm: tether-bench --server 127.0.0.1:PORT ${args[*]} --quiet  (REGISTERED line)"
  for p in $(seq "$pairs"); do
    line="pair $p:"
    for kind in tetherd nullrd; do
      run "$kind" "${args[@]}"
      reg=$(regfield devices "$tmp/bench.out"); secs=$(regfield seconds "$tmp/bench.out")
      retx=$(regfield retransmits "$tmp/bench.out")
      rec storm_reg "$kind" "$reg"; rec storm_s "$kind" "$secs"; rec storm_retx "$kind" "$retx"
      rec storm_drops "$kind" "$drops"
      line+=" $kind $reg/10000 in $secs s, $retx retransmissions, $drops dropped by the kernel,"
    done
    echo "  $line"
  done
  echo "## storm without lt (R10 reads), tetherd, information: tether-bench ... --clients 10000 --duration 1 --no-lt --quiet"
  run tetherd --clients 10000 --duration 1 --no-lt
  reg=$(regfield devices "$tmp/bench.out"); secs=$(regfield seconds "$tmp/bench.out")
  rec storm_nolt_reg tetherd "$reg"; rec storm_nolt_s tetherd "$secs"
  rec storm_nolt_reads tetherd "$(field reads "$tmp/bench.out")"
  echo "  tetherd: $reg/10000 in $secs s, lifetime reads answered $(field reads "$tmp/bench.out")," \
       "$(grep -c 'event=lifetime.*status=ok' "$tmp/server.log" || true) lifetime events ok," \
       "$(grep -c 'event=lifetime.*status="no free slot' "$tmp/server.log" || true) refused for want of a request slot"
fi

# --- 4. memory ------------------------------------------------------------------

if has memory; then
  for m in 100000 1000000; do
    args=(--registrations "$m" --clients 1000)
    echo "## memory: tetherd --log-level warn; tether-bench --server 127.0.0.1:PORT ${args[*]} --quiet"
    start tetherd --log-level warn
    r0=$(rss_kb "$spid")
    "$build/tether-bench" --server "127.0.0.1:$sport" --quiet "${args[@]}" >"$tmp/bench.out"
    r1=$(rss_kb "$spid")
    stop
    live=$(sed -n 's/.*stopped: \([0-9]*\) registrations live.*/\1/p' "$tmp/server.log")
    per=$(awk -v a="$r0" -v b="$r1" -v m="$m" 'BEGIN {printf "%.0f", (b - a) * 1024 / m}')
    rec "mem_$m" tetherd "$per"
    echo "  VmRSS $r0 kB before, $r1 kB after; $live registrations live at stop;" \
         "$(field seconds "$tmp/bench.out") s, $(field retransmits "$tmp/bench.out") retransmissions;" \
         "$per bytes per registration"
    [ "$live" = "$m" ] || { echo "  FAIL: $live registrations live, want $m" >&2; exit 1; }
  done
fi

# --- summary ----------------------------------------------------------------------

echo
echo "## summary ($(nproc) cores; medians of $pairs pairs, min..max in brackets;" \
     "load average at the end $(cut -d' ' -f1-3 /proc/loadavg))"
if has throughput; then
  echo "| devices | tetherd ops/s | nullrd ops/s | ratio tetherd/nullrd | server CPU us/op tetherd | nullrd | CPU ratio nullrd/tetherd | nullrd --threads 2 ops/s |"
  echo "|---|---|---|---|---|---|---|---|"
  for n in 1000 10000; do
    echo "| $n | $(col tput_$n tetherd | median) [$(col tput_$n tetherd | minmax)]" \
         "| $(col tput_$n nullrd | median) [$(col tput_$n nullrd | minmax)]" \
         "| **$(col ratio_$n x | median)** [$(col ratio_$n x | minmax)]" \
         "| $(col cpu_$n tetherd | median) | $(col cpu_$n nullrd | median)" \
         "| $(col cratio_$n x | median) [$(col cratio_$n x | minmax)]" \
         "| $(col tput_$n nullrd2 | median) |"
  done
fi
if has latency; then
  echo
  echo "| open loop, $rate req/s, 1000 devices | p50 us | p99 us | max us | achieved ops/s |"
  echo "|---|---|---|---|---|"
  for kind in tetherd nullrd; do
    echo "| $kind | $(col lat_p50_us $kind | median) [$(col lat_p50_us $kind | minmax)]" \
         "| **$(col lat_p99_us $kind | median)** [$(col lat_p99_us $kind | minmax)]" \
         "| $(col lat_max_us $kind | median) | $(col lat_ops_per_s $kind | median) |"
  done
fi
if has storm; then
  echo
  echo "| storm, 10000 devices | registered | seconds | retransmissions | dropped on the server socket |"
  echo "|---|---|---|---|---|"
  for kind in tetherd nullrd; do
    echo "| $kind | $(col storm_reg $kind | median) [$(col storm_reg $kind | minmax)]" \
         "| $(col storm_s $kind | median) [$(col storm_s $kind | minmax)]" \
         "| $(col storm_retx $kind | median) [$(col storm_retx $kind | minmax)]" \
         "| $(col storm_drops $kind | median) [$(col storm_drops $kind | minmax)] |"
  done
  echo "| tetherd, no lt (R10 reads) | $(col storm_nolt_reg tetherd) | $(col storm_nolt_s tetherd) | reads answered: $(col storm_nolt_reads tetherd) | |"
fi
if has memory; then
  echo
  echo "| registrations | tetherd bytes per registration (VmRSS) |"
  echo "|---|---|"
  for m in 100000 1000000; do echo "| $m | **$(col mem_$m tetherd)** |"; done
fi
