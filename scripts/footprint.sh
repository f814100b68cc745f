#!/usr/bin/env bash
# The LwM2M client's footprint. Builds the client configuration -- client
# engine + Security/Server/Device objects + CoAP codec and exchange layer +
# the lwm2m codecs it calls; no server, no UDP adapter, no DTLS -- with -Os
# for x86-64 and for Cortex-M4, and prints `size` output and the RAM the
# engine needs, in all and per server. Figures: docs/BENCHMARKS.md, section
# "Client footprint".
#
#   scripts/footprint.sh                     # output in build-footprint/
#   TETHER_FOOTPRINT_DIR=/tmp/fp scripts/footprint.sh
#
# Flash, "code": our objects, linked from main() of bench/client_footprint.c
# (a minimal device) with --gc-sections and no C library (`ld -r`), so only
# what a device reaches is counted. Flash, "image" (Cortex-M4): the whole
# firmware with newlib-nano, C library and soft-float included, with and
# without -flto.
# RAM: all engine state lives in the block tether_client_mem_size() asks
# for (the library has no static data); the script runs that call on each
# target -- natively on x86-64, under qemu-arm for the ARM layout -- once
# with one server and once with two.
# Profile: two application objects, 64-byte endpoint names, 32-byte
# locations, logging compiled out (TETHER_LOG_MAX_LEVEL=-1), no block-wise
# transfer (then again with 1 KB block-wise bodies); the CoAP sizes
# (256-byte messages, ...) are in bench/client_footprint.c.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${TETHER_FOOTPRINT_DIR:-$(pwd)/build-footprint}
mkdir -p "$out"

srcs=(src/client/*.c src/coap/msg.c src/coap/exchange.c src/coap/block.c src/lwm2m/*.c src/common/*.c)
bench=bench/client_footprint.c
profile=(-DTETHER_CLIENT_MAX_OBJECTS=2 -DTETHER_CLIENT_MAX_ENDPOINT=64
         -DTETHER_CLIENT_MAX_LOCATION=32 -DTETHER_LOG_MAX_LEVEL=-1 -D_GNU_SOURCE)
# Block-wise transfer off in the main profile (TETHER_CLIENT_MAX_BODY=0);
# the "with block-wise" lines add it back with 1 KB bodies.
noblock=(-DTETHER_CLIENT_MAX_BODY=0)
block=(-DTETHER_CLIENT_MAX_BODY=1024)
common=(-std=c17 -Os -ffunction-sections -fdata-sections -Iinclude -Isrc)
m4=(-mcpu=cortex-m4 -mthumb)

# code CC TAG SERVERS FLAGS...: compile, gc-link from main, print `size`.
code() {
  local cc=$1 tag=$2 servers=$3; shift 3
  local dir="$out/$tag-s$servers" objs=()
  rm -rf "$dir" && mkdir -p "$dir"
  for s in "${srcs[@]}" "$bench"; do
    local o="$dir/$(basename "$s" .c).o"
    "$cc" "${common[@]}" "$@" "${profile[@]}" -DTETHER_CLIENT_MAX_SERVERS="$servers" \
      -DTETHER_FOOTPRINT_FIRMWARE -c "$s" -o "$o"
    objs+=("$o")
  done
  "$cc" "$@" -nostdlib -r -Wl,--gc-sections -Wl,-e,main -Wl,-Map="$dir/code.map" \
    "${objs[@]}" -o "$dir/code.o"
}

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

echo "== x86-64: gcc $(gcc -dumpversion) -Os -ffunction-sections -fdata-sections"
code gcc x86_64 1 "${noblock[@]}"
code gcc x86_64 2 "${noblock[@]}"
code gcc x86_64-blk 1 "${block[@]}"
size "$out/x86_64-s1/code.o" "$out/x86_64-s2/code.o" "$out/x86_64-blk-s1/code.o"
for v in s1 s2 blk-s1; do
  n=${v#*s}; extra=("${noblock[@]}"); [ "$v" = blk-s1 ] && extra=("${block[@]}")
  gcc "${common[@]}" "${profile[@]}" "${extra[@]}" -DTETHER_CLIENT_MAX_SERVERS="$n" \
    "${srcs[@]}" "$bench" -lm -o "$out/x86_64-$v/probe"
  echo "$v: $("$out/x86_64-$v/probe" | grep mem_size | tr '\n' ' ')"
done

command -v arm-none-eabi-gcc >/dev/null ||
  { echo "arm-none-eabi-gcc missing: scripts/deps.sh installs it" >&2; exit 1; }
echo
echo "== Cortex-M4: arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion) ${m4[*]} -Os -ffunction-sections -fdata-sections"
code arm-none-eabi-gcc m4 1 "${m4[@]}" "${noblock[@]}"
code arm-none-eabi-gcc m4 2 "${m4[@]}" "${noblock[@]}"
code arm-none-eabi-gcc m4-blk 1 "${m4[@]}" "${block[@]}"
arm-none-eabi-size "$out/m4-s1/code.o" "$out/m4-s2/code.o" "$out/m4-blk-s1/code.o"
echo "-- code kept per object file, 1 server:"
per_file "$out/m4-s1/code.map"

echo
for v in s1 s2 blk-s1; do
  n=${v#*s}; extra=("${noblock[@]}"); [ "$v" = blk-s1 ] && extra=("${block[@]}")
  dir="$out/m4-$v"
  need=4096
  if command -v qemu-arm >/dev/null; then
    # The same code in Thumb state on qemu's default CPU: AAPCS struct
    # layout is that of Cortex-M4.
    arm-none-eabi-gcc "${m4[@]}" "${common[@]}" "${profile[@]}" "${extra[@]}" \
      -DTETHER_CLIENT_MAX_SERVERS="$n" -DTETHER_FOOTPRINT_PROBE -nostartfiles -Wl,--gc-sections --specs=nano.specs \
      --specs=nosys.specs "${srcs[@]}" "$bench" -lm -o "$dir/probe.elf"
    qemu-arm "$dir/probe.elf" > "$dir/probe.txt"
    need=$(awk '/^client_mem_size/ {print $2}' "$dir/probe.txt")
    echo "$v: $(tr '\n' ' ' < "$dir/probe.txt")"
  else
    echo "qemu-arm missing (Debian qemu-user): engine memory not measured" >&2
  fi
  for lto in "" -flto; do
    arm-none-eabi-gcc "${m4[@]}" "${common[@]}" "${profile[@]}" "${extra[@]}" $lto \
      -DTETHER_CLIENT_MAX_SERVERS="$n" -DTETHER_FOOTPRINT_FIRMWARE -DFOOTPRINT_MEM="$need" \
      -Wl,--gc-sections -Wl,-Map="$dir/image$lto.map" --specs=nano.specs --specs=nosys.specs \
      "${srcs[@]}" "$bench" -lm -o "$dir/image$lto.elf"
  done
  arm-none-eabi-size "$dir/image.elf" "$dir/image-flto.elf"
done
echo
echo "-- C library and libgcc kept in the 1-server image:"
per_file "$out/m4-s1/image.map" | grep -E 'lib[a-z_]*\.a' | head -12
