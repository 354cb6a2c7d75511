#!/usr/bin/env bash
# Builds the pty relay (native/pty-relay.c) into native/build/pty-relay: static, so it runs in any trainee
# image (busybox-static or Debian) from a read-only bind. Run by scripts/setup.sh; does nothing when the binary
# is newer than its source.
set -euo pipefail
cd "$(dirname "$0")/.."
src=native/pty-relay.c
out=native/build/pty-relay
if [ -x "$out" ] && [ "$out" -nt "$src" ]; then exit 0; fi
mkdir -p native/build
gcc -static -O2 -Wall -Wextra -Werror -o "$out.tmp" "$src"
mv "$out.tmp" "$out"
printf 'islet-setup: built %s\n' "$out" >&2
