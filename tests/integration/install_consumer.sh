#!/usr/bin/env bash
# The installed library is usable as documented: `cmake --install` into a
# scratch prefix, then a small program that parses a CoAP message builds
# once with pkg-config and once with find_package(tether), and runs.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$TETHER_BUILD_DIR" --prefix "$work/pfx" >/dev/null

cat > "$work/use.c" <<'C'
#include <stdio.h>
#include <tether/coap.h>
int main(void)
{
    static const unsigned char get[] = {0x40, 0x01, 0x7d, 0x34, 0xb4, 't', 'e', 'm', 'p'};
    tether_coap_msg m;
    int rc = tether_coap_parse(&m, get, sizeof(get));
    printf("rc=%d mid=%x path=%d\n", rc, m.mid, tether_coap_path_equals(&m, "temp"));
    return rc == 0 && m.mid == 0x7d34 ? 0 : 1;
}
C

# A sanitizer build installs a sanitized library: its consumers need the
# same runtime, as any program linking it would.
san=""
if grep -q '^TETHER_SANITIZE:BOOL=ON' "$TETHER_BUILD_DIR/CMakeCache.txt"; then
  san="-fsanitize=address,undefined"
fi

export PKG_CONFIG_PATH="$work/pfx/lib/pkgconfig"
pkg-config --exists tether || { echo "pkg-config cannot find tether"; exit 1; }
cc $san -o "$work/use_pc" "$work/use.c" $(pkg-config --cflags --libs tether)
LD_LIBRARY_PATH="$work/pfx/lib" "$work/use_pc"

mkdir -p "$work/cm"
cat > "$work/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.20)
project(use C)
find_package(tether REQUIRED)
add_executable(use_cm "$work/use.c")
target_link_libraries(use_cm PRIVATE tether::tether_static)
CM
cmake -S "$work/cm" -B "$work/cm/build" -DCMAKE_PREFIX_PATH="$work/pfx" \
  -DCMAKE_C_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" >/dev/null
cmake --build "$work/cm/build" >/dev/null
"$work/cm/build/use_cm"
echo "install_consumer: ok"
