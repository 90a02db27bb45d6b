#!/usr/bin/env bash
# Installs the Debian packages skein needs, only those that are missing.
# apt-get update runs first (once) when anything has to be installed.
set -euo pipefail

packages=(
  cmake ninja-build pkg-config make
  clang libclang-rt-14-dev          # debug and sanitizer builds (see DESIGN.md)
  liburing-dev libconcurrentqueue-dev
  libgtest-dev libbenchmark-dev
  libtbb-dev                        # the comparator in bench/
  python3 python3-matplotlib        # bench plots
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
