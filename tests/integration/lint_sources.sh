#!/usr/bin/env bash
# Source rules a compiler cannot check (STYLE.md): the library draws
# randomness only through the injected callback, never from libc's rand(),
# and every library source opens with an SPDX line.
set -euo pipefail
cd "$TETHER_SOURCE_DIR"
fail=0
if grep -rnE '(^|[^._>A-Za-z0-9])s?rand[[:space:]]*\(' src/ | grep -vE ':[0-9]+:[[:space:]]*(/?\*|//)'; then
  echo "lint: libc rand()/srand() called in the library; use the config's rand callback"; fail=1
fi
for f in $(find src include -name '*.[ch]'); do
  head -n 1 "$f" | grep -q 'SPDX-License-Identifier' || { echo "lint: $f lacks an SPDX first line"; fail=1; }
done
[ $fail -eq 0 ] && echo "lint: ok"
exit $fail
