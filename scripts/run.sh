#!/usr/bin/env bash
# The README's run command: installs what a fresh Debian machine lacks,
# builds, and starts tetherd with its defaults (CoAP on [::]:5683, dual
# stack). Extra arguments go to tetherd: scripts/run.sh --log-format json
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target tetherd
exec build/tetherd "$@"
