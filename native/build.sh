#!/usr/bin/env bash
# Builds the pinlab native agent from the sources listed in native/sources.txt.
#   native/build.sh [OUT]      (default OUT: target/native/pinlab-agent under the repository root)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -ge 1 ]]; then
  OUT="$1"
  [[ "$OUT" == /* ]] || OUT="$PWD/$OUT"
else
  OUT="$ROOT/target/native/pinlab-agent"
fi

fail() { echo "native/build.sh: $*" >&2; exit 1; }

# every .c file of sources.txt (blank lines and '#' comments skipped); headers are listed there too
SRCS=()
while read -r f; do
  f="${f%%#*}"
  f="${f//[[:space:]]/}"
  [[ -n "$f" ]] || continue
  [[ -f "$ROOT/native/$f" ]] || fail "native/sources.txt lists $f, which does not exist"
  [[ "$f" == *.c ]] && SRCS+=("$ROOT/native/$f")
done < "$ROOT/native/sources.txt"
[[ ${#SRCS[@]} -gt 0 ]] || fail "native/sources.txt lists no .c file"

command -v gcc >/dev/null 2>&1 || fail "gcc is missing (install gcc, e.g. apt-get install gcc)"
command -v pkg-config >/dev/null 2>&1 || fail "pkg-config is missing (install pkg-config)"
pkg-config --exists liburing 2>/dev/null || fail "liburing development files are missing (install liburing-dev; pkg-config cannot find liburing)"
pkg-config --exists fuse3 2>/dev/null || fail "libfuse3 development files are missing (install libfuse3-dev; pkg-config cannot find fuse3)"

mkdir -p "$(dirname "$OUT")"
# shellcheck disable=SC2046
gcc -O2 -g -Wall -Wextra -Werror -std=gnu11 $(pkg-config --cflags fuse3) -I"$ROOT/native" -o "$OUT" "${SRCS[@]}" \
  $(pkg-config --libs liburing fuse3) -lpthread
echo "built $OUT"
