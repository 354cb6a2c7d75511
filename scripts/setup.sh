#!/usr/bin/env bash
# Idempotent machine setup for ISLET, run by `npm start` and `npm test`:
# Debian's docker.io (and a running dockerd when no engine answers),
# busybox-static, ssh2's native addons built for ISLET's Node (scripts/native-addons.sh), the pty relay,
# and the offline demo image. With --test, also the tools the
# test suite drives: OpenSSH client, tmux, expect, and the client matrix's
# PuTTY tools, Dropbear client, paramiko and asyncssh.
# Fast the second time: every step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=no
[ "${1:-}" = "--test" ] && want_test=yes

log() { printf 'islet-setup: %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- packages -----------------------------------------------------------
pkgs=()
command -v dockerd >/dev/null 2>&1 || pkgs+=(docker.io)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx sh && dpkg -s busybox-static >/dev/null 2>&1 || pkgs+=(busybox-static)
# A compiler for ssh2's native crypto addon (scripts/native-addons.sh builds it for ISLET's Node).
command -v g++ >/dev/null 2>&1 || pkgs+=(g++)
command -v make >/dev/null 2>&1 || pkgs+=(make)
command -v python3 >/dev/null 2>&1 || pkgs+=(python3)
# The catalogue builds Debian base images from the archive (islet image bootstrap); flock serialises apt caches.
command -v debootstrap >/dev/null 2>&1 || pkgs+=(debootstrap)
command -v flock >/dev/null 2>&1 || pkgs+=(util-linux)
if [ "$want_test" = yes ]; then
  command -v ssh >/dev/null 2>&1 || pkgs+=(openssh-client)
  command -v tmux >/dev/null 2>&1 || pkgs+=(tmux)
  command -v expect >/dev/null 2>&1 || pkgs+=(expect)
  # The web door's browser tests (test/browser/): Debian's Chromium, driven by playwright-core (no browser download).
  [ -x /usr/bin/chromium ] || pkgs+=(chromium)
  # The credential sheet's test reads the PDF Chromium prints (test/e2e/accounts-bulk.test.ts).
  command -v pdftotext >/dev/null 2>&1 || pkgs+=(poppler-utils)
  # The client matrix (test/e2e/client-matrix.test.ts): PuTTY, Dropbear, paramiko, asyncssh.
  command -v plink >/dev/null 2>&1 || pkgs+=(putty-tools)
  command -v dbclient >/dev/null 2>&1 || pkgs+=(dropbear-bin)
  # Debian's python3 (a pyenv or venv python3 earlier on PATH would not see Debian's modules).
  /usr/bin/python3 -c 'import paramiko' >/dev/null 2>&1 || pkgs+=(python3-paramiko)
  /usr/bin/python3 -c 'import asyncssh' >/dev/null 2>&1 || pkgs+=(python3-asyncssh)
  # The swarm lab (scripts/swarm-lab.sh, test/swarm/) and the PostgreSQL store tests (test/helpers/postgres.ts):
  # PostgreSQL's initdb/pg_ctl/psql, and ip netns.
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || pkgs+=(postgresql)
  command -v ip >/dev/null 2>&1 || pkgs+=(iproute2)
fi
if [ "${#pkgs[@]}" -gt 0 ]; then
  log "installing ${pkgs[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi

# --- engine ---------------------------------------------------------------
engine_ok() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
if ! engine_ok; then
  log "no Docker engine answers; starting dockerd"
  # A previous dockerd that died (e.g. the machine's processes were ended) leaves its pid file behind.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then as_root rm -f /var/run/docker.pid; fi
  as_root setsid nohup dockerd >>/var/log/islet-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 120); do engine_ok && break; sleep 0.5; done
  engine_ok || { log "dockerd did not come up; see /var/log/islet-dockerd.log"; tail -n 20 /var/log/islet-dockerd.log >&2 || true; exit 1; }
fi

# --- native addons ---------------------------------------------------------
# npm install may have built ssh2's addons for another Node than the one that runs ISLET.
bash scripts/native-addons.sh
# The pty relay a `runtime.terminal: relay` container runs (src/runtime/docker/pty-relays.ts).
bash scripts/build-pty-relay.sh

# --- demo image -----------------------------------------------------------
bash scripts/build-demo-image.sh
