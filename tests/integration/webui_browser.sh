#!/usr/bin/env bash
# The web UI in a real browser (issue 6): tetherd with the REST API on a
# free loopback port and a throwaway data directory, then
# tests/browser/webui.mjs drives Debian's headless chromium through
# playwright-core (pinned in tests/browser/package-lock.json, installed
# with `npm ci` into tests/browser/node_modules on first use; no browser
# is ever downloaded). The screenshot is kept as a test artifact in
# $TETHER_BUILD_DIR/artifacts/webui.png. Every process started here is
# killed by PID on exit.
set -euo pipefail
src="$TETHER_SOURCE_DIR"
build="$TETHER_BUILD_DIR"
tetherd="$build/tetherd"
browser_dir="$src/tests/browser"
artifacts="$build/artifacts"
tmp=$(mktemp -d)
pidfile="$tmp/pids"
: >"$pidfile"
pids=()
cleanup() {
  for p in "${pids[@]}" $(cat "$pidfile" 2>/dev/null); do
    { kill -9 "$p" && wait "$p"; } 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "FAIL $tool is not installed (scripts/deps.sh installs it)"; exit 1; }
done
chromium="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || { echo "FAIL $chromium is not installed (scripts/deps.sh installs chromium)"; exit 1; }
"$tetherd" --help | grep -q -- '--http' || { echo "FAIL tetherd has no --http: the REST API is not built in"; exit 1; }

# playwright-core, exactly as locked; reinstalled when the lock file changes.
stamp="$browser_dir/node_modules/.tether-lock"
if ! cmp -s "$browser_dir/package-lock.json" "$stamp" 2>/dev/null; then
  echo "npm ci in tests/browser (playwright-core, no browser download)"
  (cd "$browser_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) \
    || { echo "FAIL npm ci in tests/browser"; exit 1; }
  cp "$browser_dir/package-lock.json" "$stamp"
fi

# Two free loopback ports: TCP for HTTP, UDP for CoAP.
free_ports() {
  python3 -c '
import socket
t = socket.socket(); t.bind(("127.0.0.1", 0))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
print(t.getsockname()[1], u.getsockname()[1])'
}
read -r http_port coap_port < <(free_ports)

# The OMA models of 3303 (Temperature) and 3311 from the repository, so
# the tree names the temperature's resources.
args=(--coap "127.0.0.1:$coap_port" --http "127.0.0.1:$http_port" --models "$src/tests/server/models/good")
# Throwaway data directories when this tetherd has a persistent store.
help=$("$tetherd" --help)
store() { if grep -q -- '--data' <<<"$help"; then echo "--data $tmp/$1"; fi; }
args+=($(store data))
"$tetherd" "${args[@]}" 2>"$tmp/tetherd.log" &
pids+=($!)
ui="http://127.0.0.1:$http_port/"
up=0
for _ in $(seq 100); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$ui" 2>/dev/null; then up=1; break; fi
  kill -0 "${pids[0]}" 2>/dev/null || break
  sleep 0.05
done
[ $up -eq 1 ] || { echo "FAIL tetherd's UI did not come up at $ui:"; cat "$tmp/tetherd.log"; exit 1; }
echo "ok   tetherd: UI at $ui, CoAP on 127.0.0.1:$coap_port"

# A second tetherd that wants an API token, for the token dialog.
read -r tok_port tok_coap < <(free_ports)
token="webui-$$-token"
"$tetherd" --coap "127.0.0.1:$tok_coap" --http "127.0.0.1:$tok_port" --http-token "$token" \
  $(store data-token) 2>"$tmp/tetherd-token.log" &
pids+=($!)
for _ in $(seq 100); do grep -q 'ready' "$tmp/tetherd-token.log" && break; sleep 0.05; done

mkdir -p "$artifacts" "$tmp/profile"
rm -f "$artifacts/webui.png" "$artifacts/webui-failure.png"
(cd "$browser_dir" && TETHER_UI_URL="$ui" TETHER_COAP="coap://127.0.0.1:$coap_port" \
  TETHER_CLIENT="$build/tether-client" TETHER_ARTIFACTS="$artifacts" TETHER_PIDFILE="$pidfile" \
  TETHER_PROFILE="$tmp/profile" CHROMIUM="$chromium" \
  TETHER_TOKEN_UI_URL="http://127.0.0.1:$tok_port/" TETHER_TOKEN="$token" exec node webui.mjs) &
pids+=($!)
rc=0
wait $! || rc=$?
if [ $rc -ne 0 ]; then
  echo "--- tetherd log (last 40 lines)"; tail -n 40 "$tmp/tetherd.log"
  exit 1
fi
[ -s "$artifacts/webui.png" ] || { echo "FAIL no screenshot at $artifacts/webui.png"; exit 1; }
echo "artifact: $artifacts/webui.png"
