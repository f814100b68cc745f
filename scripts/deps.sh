#!/usr/bin/env bash
# Installs the Debian packages that building, running and testing Tether need.
# Idempotent: it asks apt only for what is missing, and runs `apt-get update`
# only when something is. Run as root or with sudo available.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config   # the build
  clang libclang-rt-dev              # libFuzzer and sanitizer runtimes
  libcmocka-dev                      # unit tests
  libexpat1-dev                      # OMA DDF object models (tetherd --models)
  libcoap3-bin                       # independent CoAP peer (coap-client-notls, coap-server-notls)
  python3                            # integration test scripts (stdlib only)
  libjsmn-dev                        # JSON tokenizer for the LwM2M JSON / SenML JSON decoders (header-only)
  libcbor-dev                        # CBOR for the SenML CBOR and CBOR content formats
  gcc-arm-none-eabi libnewlib-arm-none-eabi # Cortex-M4 footprint build
  qemu-user                          # runs the ARM footprint probe (scripts/footprint.sh)
  libmicrohttpd-dev libcjson-dev     # tetherd's REST API, event stream and web UI
  libsqlite3-dev                     # tetherd's persistent registration store
  chromium nodejs npm                # the web UI's browser test (playwright-core drives chromium)
)

# Packages that may come from elsewhere: a machine with NodeSource's nodejs
# has npm inside it, and Debian's npm package then cannot be installed next
# to it. Such a package counts as present when its command is.
declare -A command_of=([nodejs]=node [npm]=npm [chromium]=chromium)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' && continue
  [ -n "${command_of[$p]:-}" ] && command -v "${command_of[$p]}" >/dev/null && continue
  missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps.sh: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
