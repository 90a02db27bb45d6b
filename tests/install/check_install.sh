#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, then builds and runs a
# consumer project with find_package(skein), and checks skein.pc.
set -euo pipefail
build_dir="$1"; source_dir="$2"; cxx="$3"
prefix=$(mktemp -d); work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
cmake -S "$source_dir/tests/install/consumer" -B "$work" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work" >/dev/null
"$work/consumer"
flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs skein)
case "$flags" in
  *"$prefix/lib/pkgconfig/../../include"*"-lskein"*) ;;
  *) echo "skein.pc points elsewhere: $flags" >&2; exit 1 ;;
esac
echo "install: find_package(skein) consumer built and ran; skein.pc: $flags"
