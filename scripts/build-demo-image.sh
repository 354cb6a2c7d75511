#!/usr/bin/env bash
# Builds the demo environment image islet/demo:latest OFFLINE (no registry):
# a tiny rootfs made from Debian's statically linked busybox, an unprivileged
# `student` user, and a login shell as CMD, imported with `docker import`.
#
# Idempotent: when the image already carries the label
# islet.image.recipe=<sha256 of this script>, nothing is done.
#
# Usage: scripts/build-demo-image.sh [--force] [image]   (default image: islet/demo:latest)
# Needs: root (files in the image must be owned by root and by uid 1000), a running Docker Engine.
set -euo pipefail

die() { echo "build-demo-image: error: $*" >&2; exit 1; }
info() { echo "build-demo-image: $*" >&2; }

FORCE=0
IMAGE=islet/demo:latest
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) die "unknown option $arg" ;;
    *) IMAGE=$arg ;;
  esac
done

SELF=$(readlink -f "${BASH_SOURCE[0]}")
RECIPE=$(sha256sum "$SELF" | cut -d' ' -f1)
STUDENT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

command -v docker >/dev/null 2>&1 || die "the docker CLI is not installed (apt-get install docker.io)"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || die "the Docker Engine does not answer (is dockerd running? try: systemctl start docker)"

# --- fast path: same recipe already built --------------------------------------
if [ "$FORCE" = 0 ]; then
  have=$(docker image inspect --format '{{index .Config.Labels "islet.image.recipe"}}' "$IMAGE" 2>/dev/null || true)
  if [ "$have" = "$RECIPE" ]; then
    info "$IMAGE is up to date (recipe ${RECIPE:0:12})"
    exit 0
  fi
fi

# --- a statically linked busybox ----------------------------------------------
is_static() { [ -x "$1" ] && ! ldd "$1" >/dev/null 2>&1; }
BUSYBOX=/bin/busybox
if ! is_static "$BUSYBOX"; then
  [ "$(id -u)" = 0 ] || die "busybox-static is missing and installing it needs root (apt-get install busybox-static)"
  info "installing busybox-static with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q busybox-static >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q busybox-static >/dev/null; } \
    || die "could not install busybox-static with apt-get"
  is_static "$BUSYBOX" || die "$BUSYBOX is not a statically linked busybox"
fi

# --- the root filesystem -------------------------------------------------------
WORK=$(mktemp -d /tmp/islet-demo-image.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
R=$WORK/rootfs
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,root,home/student,tmp,var/tmp,dev,proc,sys,run}
cp "$BUSYBOX" "$R/bin/busybox"
chmod 0755 "$R/bin/busybox"

# One symlink per applet, at the path busybox itself would install it.
if "$BUSYBOX" --list-full >/dev/null 2>&1; then
  applets=$("$BUSYBOX" --list-full)
else
  applets=$("$BUSYBOX" --list | sed 's|^|bin/|')
fi
[ -n "$applets" ] || die "busybox --list printed no applets"
while IFS= read -r rel; do
  [ -n "$rel" ] || continue
  name=${rel##*/}
  [ "$name" = busybox ] && continue
  dir=$R/${rel%/*}
  mkdir -p "$dir"
  [ -e "$dir/$name" ] || ln -s /bin/busybox "$dir/$name"
done <<<"$applets"
[ -e "$R/bin/sh" ] || ln -s /bin/busybox "$R/bin/sh"

cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
student:x:1000:1000:ISLET student:/home/student:/bin/sh
EOF
cat >"$R/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
student:x:1000:
EOF
cat >"$R/etc/shadow" <<'EOF'
root:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
student:*:19000:0:99999:7:::
EOF
chmod 0640 "$R/etc/shadow"
cat >"$R/etc/profile" <<EOF
# ISLET demo image login profile
export PATH=$STUDENT_PATH
export HOME=\${HOME:-/home/student}
export PS1='\\u@\\h:\\w\\\$ '
umask 022
EOF
cat >"$R/etc/motd" <<'EOF'
This is the ISLET demo environment (busybox). Type `busybox --list` for the commands.
EOF
echo 'islet-demo' >"$R/etc/hostname"
printf 'hosts: files dns\n' >"$R/etc/nsswitch.conf"
printf 'alias ll="ls -l"\n' >"$R/home/student/.profile"
printf '/bin/sh\n/bin/ash\n' >"$R/etc/shells"

chmod 0755 "$R" "$R/home" "$R/etc"
chmod 0700 "$R/root"
chmod 1777 "$R/tmp" "$R/var/tmp"
chown -R 1000:1000 "$R/home/student" || die "cannot chown /home/student to 1000:1000 (run as root)"
chmod 0755 "$R/home/student"

# --- import ---------------------------------------------------------------------
old_id=$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
info "importing $IMAGE (recipe ${RECIPE:0:12})"
new_id=$(tar -C "$R" --numeric-owner -cf - . | docker import \
  --change 'CMD ["/bin/sh","-l"]' \
  --change 'USER student' \
  --change 'WORKDIR /home/student' \
  --change "ENV PATH=$STUDENT_PATH" \
  --change "LABEL islet.image.recipe=$RECIPE" \
  --message "ISLET demo image (busybox $("$BUSYBOX" 2>&1 | head -n1 | awk '{print $2}'))" \
  - "$IMAGE") || die "docker import failed"

have=$(docker image inspect --format '{{index .Config.Labels "islet.image.recipe"}}' "$IMAGE" 2>/dev/null || true)
[ "$have" = "$RECIPE" ] || die "imported $IMAGE but its recipe label is '$have', expected $RECIPE"

# Drop the previous build when nothing uses it any more (ignore failures: a container may still use it).
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
  docker image rm "$old_id" >/dev/null 2>&1 || true
fi
info "built $IMAGE ${new_id:7:12}"
