#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, then
#   1. a normal build and ctest,
#   2. an ASan+UBSan build and ctest,
#   3. a clang libFuzzer build, each target run for TETHER_FUZZ_SECONDS (15;
#      a smoke run that keeps CI short: the committed seeds are replayed in
#      both builds above, and TETHER_FUZZ_SECONDS=600 is a real campaign).
# Warnings are errors in every build. Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${TETHER_JOBS:-2}
fuzz_seconds=${TETHER_FUZZ_SECONDS:-15}

bash scripts/deps.sh

step() { printf '\n=== %s ===\n' "$*"; }

step "normal build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

step "ASan+UBSan build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTETHER_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$jobs")

step "fuzz smoke (${fuzz_seconds}s per target)"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DTETHER_FUZZ=ON \
  -DTETHER_SANITIZE=ON -DTETHER_TESTS=OFF -DTETHER_APPS=OFF >/dev/null
cmake --build build-fuzz -j"$jobs"
# One fuzzer per core at a time; each works on a scratch copy of its seeds
# (the committed corpus only changes by hand) and its log is printed whole
# if it finds something.
fuzz_one() {
  local name=$1 root=$2 seconds=$3 work log rc
  work=$(mktemp -d) log=$(mktemp)
  cp -r "$root/tests/fuzz/corpus/${name#fuzz_}"/. "$work"/ 2>/dev/null || true
  if (cd "$root/build-fuzz" && "./tests/fuzz/$name" -max_total_time="$seconds" \
        -print_final_stats=1 "$work" >"$log" 2>&1); then
    printf '%-24s ok  %s\n' "$name" "$(grep -m1 'stat::number_of_executed_units' "$log" | tr -s ' ')"
    rc=0
  else
    echo "$name FAILED:"; cat "$log"; rc=1
  fi
  rm -rf "$work" "$log"
  return $rc
}
export -f fuzz_one
ls "$root"/tests/fuzz/fuzz_*.c | xargs -n1 basename | sed 's/\.c$//' |
  xargs -P "$jobs" -I{} bash -c 'fuzz_one "$@"' _ {} "$root" "$fuzz_seconds"

step "all tests passed"
