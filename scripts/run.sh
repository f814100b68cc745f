#!/usr/bin/env bash
# The README's run command: installs what a fresh Debian machine lacks,
# builds, and starts tetherd with its defaults (CoAP on [::]:5683, dual
# stack; REST API and web UI on 127.0.0.1:8080; registrations in SQLite in
# ./tether-data), with the object models of models/ (3303 Temperature, so
# that tether-client's sensor is typed). Extra arguments go to tetherd:
# scripts/run.sh --log-format json
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target tetherd
models=(--models models)
for a in "$@"; do [ "$a" = --models ] && models=(); done
exec build/tetherd "${models[@]}" "$@"
