#!/usr/bin/env bash
# The LwM2M client's footprint. Builds the client configuration -- client
# engine + Security/Server/Device objects + CoAP codec and exchange layer +
# the lwm2m codecs it calls; no server, no UDP adapter, no DTLS -- with -Os
# for Cortex-M4 and x86-64, and prints what it costs in flash and RAM.
# Figures: docs/BENCHMARKS.md, section "Client footprint".
#
#   scripts/footprint.sh                     # output in build-footprint/
#   TETHER_FOOTPRINT_DIR=/tmp/fp scripts/footprint.sh
#
# Flash, "our code": our objects, linked from main() of
# bench/client_footprint.c (a minimal device) with --gc-sections and no C
# library (`ld -r`), so only what a device reaches is counted: `size` text
# (code + read-only data). Also with -flto, for reference. Flash, "image":
# the whole firmware with newlib-nano and libgcc.
# RAM: all engine state lives in the block tether_client_mem_size() asks
# for (the library has no static data); the script runs that call on each
# target -- natively on x86-64, under qemu-arm for the ARM layout.
#
# Two configurations, both with two application objects, 64-byte endpoint
# names, 32-byte locations and logging compiled out; the CoAP sizes
# (256-byte messages, ...) are in bench/client_footprint.c:
#   profile   the footprint switches of tether/client_config.h that a small
#             device can take (list in `switches` below), observation
#             compiled out, no block-wise transfer (TETHER_CLIENT_MAX_BODY=0;
#             the "block-wise" lines use 1 KB bodies, the "observation" lines
#             bring observation back with 4 observations)
#   full      every feature: no switch, observation at its defaults, no
#             block-wise; every content format, JSON decoding with jsmn (CBOR
#             without libcbor: see below)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${TETHER_FOOTPRINT_DIR:-$(pwd)/build-footprint}
mkdir -p "$out"

srcs=(src/client/*.c src/coap/msg.c src/coap/exchange.c src/coap/block.c src/lwm2m/*.c src/common/*.c)
bench=bench/client_footprint.c
# JSON is decoded with jsmn where JSON is compiled in: one header (Debian
# libjsmn-dev), copied alone so that no host header comes with it. CBOR
# needs libcbor, which has no Cortex-M build here: CBOR (60) and SenML CBOR
# are compiled in but answer 4.06 / 4.15, their codecs reduced to stubs.
jsmn=()
if [ -f /usr/include/jsmn.h ]; then
  mkdir -p "$out/jsmn" && cp /usr/include/jsmn.h "$out/jsmn/"
  jsmn=(-I"$out/jsmn" -DTETHER_HAVE_JSMN=1)
fi
base=(-DTETHER_CLIENT_MAX_OBJECTS=2 -DTETHER_CLIENT_MAX_ENDPOINT=64
      -DTETHER_CLIENT_MAX_LOCATION=32 -DTETHER_LOG_MAX_LEVEL=-1 -D_GNU_SOURCE "${jsmn[@]}")
# What a device leaves out, and what it loses: tether/client_config.h.
switches=(-DTETHER_COAP_LINEAR -DTETHER_NO_ERRMSG -DTETHER_LWM2M_NO_FLOAT_TEXT
          -DTETHER_COAP_NO_STATS -DTETHER_CLIENT_NO_QUEUE_MODE -DTETHER_CLIENT_MAX_OBSERVATIONS=0
          -DTETHER_CLIENT_MAX_ALT_PATH=0 -DTETHER_CLIENT_MAX_SMS=0
          -DTETHER_CLIENT_NO_JSON -DTETHER_CLIENT_NO_SENML -DTETHER_CLIENT_NO_CBOR)
# The profile with observation back (Observe, Write-Attributes, notification
# storing), sized for a small device.
observe=(-DTETHER_CLIENT_MAX_OBSERVATIONS=4 -DTETHER_CLIENT_MAX_ATTRS=4
         -DTETHER_CLIENT_NOTIFY_STORE_BYTES=256)
noblock=(-DTETHER_CLIENT_MAX_BODY=0)
block=(-DTETHER_CLIENT_MAX_BODY=1024)
common=(-std=c17 -Os -ffunction-sections -fdata-sections -Iinclude -Isrc)
m4=(-mcpu=cortex-m4 -mthumb)
jobs=${TETHER_JOBS:-2}

# compile CC DIR FLAGS...: every source into DIR/obj/, jobs at a time.
compile() {
  local cc=$1 dir=$2; shift 2
  local s
  rm -rf "$dir" && mkdir -p "$dir/obj"
  for s in "${srcs[@]}" "$bench"; do
    "$cc" "${common[@]}" "$@" -DTETHER_FOOTPRINT_FIRMWARE -c "$s" \
      -o "$dir/obj/$(basename "$s" .c).o" &
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  done
  wait
}

# code CC DIR FLAGS...: compile, then gc-link from main into DIR/code.o
# (relocatable, no C library) with a map.
code() {
  local cc=$1 dir=$2; shift 2
  compile "$cc" "$dir" "$@"
  "$cc" "$@" -nostdlib -r -Wl,--gc-sections -Wl,-e,main -Wl,-Map="$dir/code.map" \
    "$dir"/obj/*.o -o "$dir/code.o"
}

# text OBJ: the text column of `size` (code + read-only data).
text() { "$1" "$2" | awk 'NR == 2 {print $1}'; }

# per_file MAP: text+rodata kept per object file, largest first.
per_file() {
  python3 - "$1" <<'EOF'
import collections, re, sys
sz = collections.Counter()
lines = open(sys.argv[1]).read().split('\n')
live = False
for i, l in enumerate(lines):
    if l.startswith('Discarded input sections'):
        live = False
    if l.startswith('Linker script and memory map'):
        live = True
    if not live:
        continue
    m = re.match(r'^ \.(?:text|rodata)\S*\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)', l)
    if m is None and re.match(r'^ \.(?:text|rodata)\S*\s*$', l) and i + 1 < len(lines):
        m = re.match(r'^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)', lines[i + 1])
    if m:
        sz[m.group(3).split('/')[-1]] += int(m.group(2), 16)
for f, n in sz.most_common():
    print('   %6d  %s' % (n, f))
print('   %6d  total' % sum(sz.values()))
EOF
}

command -v arm-none-eabi-gcc >/dev/null ||
  { echo "arm-none-eabi-gcc missing: scripts/deps.sh installs it" >&2; exit 1; }

# probe DIR FLAGS...: tether_client_mem_size() on Cortex-M4 (struct layout
# of the target, run under qemu-arm) into DIR/probe.txt; prints the line.
probe() {
  local dir=$1; shift
  mkdir -p "$dir"
  if ! command -v qemu-arm >/dev/null; then
    echo "qemu-arm missing (Debian qemu-user): engine memory not measured" >&2
    return
  fi
  # The same code in Thumb state on qemu's default CPU: AAPCS struct
  # layout is that of Cortex-M4.
  arm-none-eabi-gcc "${m4[@]}" "${common[@]}" "$@" -DTETHER_FOOTPRINT_PROBE -nostartfiles \
    -Wl,--gc-sections --specs=nano.specs --specs=nosys.specs "${srcs[@]}" "$bench" -lm \
    -o "$dir/probe.elf"
  qemu-arm "$dir/probe.elf" > "$dir/probe.txt"
}
mem() { awk '/^client_mem_size/ {print $2}' "$1/probe.txt" 2>/dev/null || echo 4096; }

# variant NAME: its flags in f, its description in what.
variant() {
  local prof=("${switches[@]}")
  case $1 in
    s1) f=("${prof[@]}" "${noblock[@]}" -DTETHER_CLIENT_MAX_SERVERS=1); what="profile, 1 server" ;;
    s2) f=("${prof[@]}" "${noblock[@]}" -DTETHER_CLIENT_MAX_SERVERS=2); what="profile, 2 servers" ;;
    blk) f=("${prof[@]}" "${block[@]}" -DTETHER_CLIENT_MAX_SERVERS=1); what="profile, 1 server, block-wise" ;;
    obs) f=()
         for x in "${prof[@]}"; do [ "$x" = -DTETHER_CLIENT_MAX_OBSERVATIONS=0 ] || f+=("$x"); done
         f+=("${observe[@]}" "${noblock[@]}" -DTETHER_CLIENT_MAX_SERVERS=1)
         what="profile, 1 server, observation" ;;
    full) f=("${noblock[@]}" -DTETHER_CLIENT_MAX_SERVERS=1); what="full, 1 server" ;;
  esac
}

m4dir="$out/m4"
echo "== Cortex-M4: arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion) ${m4[*]} ${common[*]:1:3}"
echo "   profile switches: ${switches[*]}"
echo
echo "-- engine RAM, tether_client_mem_size() (of which CoAP):"
for v in s1 s2 blk obs full; do
  variant "$v"
  probe "$m4dir/$v" "${base[@]}" "${f[@]}"
  printf '   %-38s %s\n' "$what" "$(tr '\n' ' ' < "$m4dir/$v/probe.txt" 2>/dev/null)"
done

echo
echo "-- our code (text + rodata, no C library):"
row() { printf '   %-38s %6s B\n' "$1" "$2"; }
for v in s1 s2 blk obs full; do
  variant "$v"
  code arm-none-eabi-gcc "$m4dir/$v" "${m4[@]}" "${base[@]}" "${f[@]}" -DFOOTPRINT_MEM="$(mem "$m4dir/$v")"
  row "$what" "$(text arm-none-eabi-size "$m4dir/$v/code.o")"
done
# -flto, for reference: the same relocatable link, optimised as one unit.
lto="$m4dir/s1-lto"
compile arm-none-eabi-gcc "$lto" "${m4[@]}" -flto "${base[@]}" "${switches[@]}" "${noblock[@]}" \
  -DTETHER_CLIENT_MAX_SERVERS=1
arm-none-eabi-gcc "${m4[@]}" -Os -flto=auto -ffunction-sections -fdata-sections -nostdlib -r \
  -flinker-output=nolto-rel -Wl,--gc-sections -Wl,-e,main "$lto"/obj/*.o -o "$lto/code.o"
row "profile, 1 server, -flto" "$(text arm-none-eabi-size "$lto/code.o")"

echo
echo "-- what each switch saves (profile, 1 server, with that one switch off):"
for sw in "${switches[@]}"; do
  f=()
  for x in "${switches[@]}"; do [ "$x" = "$sw" ] || f+=("$x"); done
  code arm-none-eabi-gcc "$m4dir/off" "${m4[@]}" "${base[@]}" "${f[@]}" "${noblock[@]}" \
    -DTETHER_CLIENT_MAX_SERVERS=1
  n=$(( $(text arm-none-eabi-size "$m4dir/off/code.o") - $(text arm-none-eabi-size "$m4dir/s1/code.o") ))
  printf '   %-38s %6s B\n' "${sw#-D}" "$n"
done

echo
echo "-- our code per object file, profile, 1 server:"
per_file "$m4dir/s1/code.map"

echo
echo "-- whole image with newlib-nano (text data bss; bss is the engine block,"
echo "   the datagram buffer and the C library's):"
for v in s1 full; do
  arm-none-eabi-gcc "${m4[@]}" -Wl,--gc-sections -Wl,-Map="$m4dir/$v/image.map" \
    --specs=nano.specs --specs=nosys.specs "$m4dir/$v"/obj/*.o -lm -o "$m4dir/$v/image.elf"
done
arm-none-eabi-size "$m4dir/s1/image.elf" "$m4dir/full/image.elf" | sed 's/^/   /'
echo "-- C library and libgcc kept in the profile image:"
per_file "$m4dir/s1/image.map" | grep -E 'lib[a-z_]*\.a' | head -8

echo
echo "== x86-64: gcc $(gcc -dumpversion) ${common[*]:1:3}"
x86="$out/x86_64"
for v in s1 s2 obs full; do
  variant "$v"
  code gcc "$x86/$v" "${base[@]}" "${f[@]}"
  gcc "${common[@]}" "${base[@]}" "${f[@]}" "${srcs[@]}" "$bench" -lm -o "$x86/$v/probe"
  printf '   %-32s code %6s B   %s\n' "$what" "$(text size "$x86/$v/code.o")" \
    "$("$x86/$v/probe" | grep mem_size | tr '\n' ' ')"
done
