#!/usr/bin/env bash
# A real Docker Swarm and a real PostgreSQL on this one machine, for the Swarm/PostgreSQL tests
# and for trying a multi-node ISLET (issue 14.4). docs/swarm-lab.md explains the layout.
#
#   scripts/swarm-lab.sh up [N] [--image IMG]...   N engines (default 3, at most 9) in one swarm, images loaded, PostgreSQL
#   scripts/swarm-lab.sh down                       removes everything `up` made; idempotent
#   scripts/swarm-lab.sh status                     `docker node ls` on the manager, PostgreSQL answer
#   scripts/swarm-lab.sh env                        prints the export lines again
#   scripts/swarm-lab.sh node-kill I | node-start I   node I lost at once (SIGKILL to all of it) / back again
#
# Contract:
# - Every resource carries the lab prefix (ISLET_LAB_PREFIX, default islet-lab, at most 11 characters of
#   [a-z0-9-]): network namespaces <prefix>-br (the shared bridge) and <prefix>-n<i> (node i), veths
#   <prefix>-v<i> / <prefix>-b<i> that live only inside those namespaces (never in the host's), dockerd data
#   under /var/lib/<prefix>/<node>, sockets and exec roots under /run/<prefix>/, cgroup parent <prefix>-n<i>.
#   `down` touches only those, so two labs with different prefixes coexist, and the machine's own dockerd,
#   its bridges and its iptables chains are never touched.
# - Each node's dockerd runs in its network namespace through `nsenter --net=` (`ip netns exec` would remount
#   /sys and lose the cgroup mounts), with --iptables=false --bridge=none --ip-masq=false: nothing on a node
#   has a default bridge; Swarm's overlay networks (VXLAN between the node addresses) still work.
# - `up` prints `export` lines (DOCKER_HOST of the manager, ISLET_LAB_NODE<i> sockets, ISLET_STORE=postgres://…)
#   and writes them to /var/lib/<prefix>/env (mode 0600: it holds the database password).
# - Every docker call has a timeout; engine mutations are serial (Debian 12's engine deadlocks under many
#   parallel removals, moby#42545). Everything runs under `nice -n 10` (the machine is shared).
set -euo pipefail

prefix="${ISLET_LAB_PREFIX:-islet-lab}"
[[ "$prefix" =~ ^[a-z0-9-]{1,11}$ ]] || { echo "swarm-lab: ISLET_LAB_PREFIX must be 1-11 of [a-z0-9-] (veth names ≤ 15)" >&2; exit 2; }
labdir="/var/lib/$prefix"
[ "$prefix" = islet-lab ] && labdir=/var/lib/islet-swarm-lab
rundir="/run/$prefix"
[ "$prefix" = islet-lab ] && rundir=/run/islet-swarm-lab
# Node addresses: <subnet>.<10+i>/24 on the bridge; overlay pools from a range that cannot overlap it.
subnet="${ISLET_LAB_SUBNET:-10.213.$(( $(printf '%s' "$prefix" | cksum | cut -d' ' -f1) % 200 + 20 ))}"
pool="${ISLET_LAB_POOL:-10.214.0.0/16}"
pg_port="${ISLET_LAB_PG_PORT:-$(( 55000 + $(printf '%s' "$prefix" | cksum | cut -d' ' -f1) % 400 ))}"
brns="$prefix-br"
dt=20  # seconds for an ordinary docker call
db_user=islet db_name=islet

log() { printf 'swarm-lab: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
# Whatever made the script stop early is named (set -e alone would exit silently), and a background step
# (PostgreSQL's setup) is waited for, so a `down` right after a failed `up` never races it.
pg_pid=""
trap 'rc=$?; [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || log "stopped (exit $rc) at: $BASH_COMMAND"; [ -z "$pg_pid" ] || wait "$pg_pid" 2>/dev/null || true' EXIT
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, dockerd)"

node_name() { printf '%s-n%s' "$prefix" "$1"; }
node_sock() { printf '%s/%s.sock' "$rundir" "$(node_name "$1")"; }
node_ip() { printf '%s.%s' "$subnet" $((10 + $1)); }
# docker against node i, always with a timeout.
nd() { local i="$1" t="$2"; shift 2; timeout "$t" docker -H "unix://$(node_sock "$i")" "$@"; }
# Nodes of this lab that have anything left (a namespace, a data dir or a pid file).
lab_nodes() {
  { ip netns list 2>/dev/null | awk '{print $1}'; ls "$labdir" 2>/dev/null; ls "$rundir" 2>/dev/null; true; } \
    | sed -n "s/^$prefix-n\([0-9]\)\(\..*\)\?\$/\1/p" | sort -u
}

engine_up() { nd "$1" 5 version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start_node() {
  local i="$1" n ns sock
  n="$(node_name "$i")"; ns="$n"; sock="$(node_sock "$i")"
  ip netns list | awk '{print $1}' | grep -qx "$ns" || ip netns add "$ns"
  if ! ip -n "$ns" link show "$prefix-v$i" >/dev/null 2>&1; then
    # Both ends are created directly inside the lab namespaces: the host's namespace never sees them.
    ip link add "$prefix-v$i" netns "$ns" type veth peer name "$prefix-b$i" netns "$brns"
    ip -n "$brns" link set "$prefix-b$i" master "$prefix-br0" up
    ip -n "$ns" addr add "$(node_ip "$i")/24" dev "$prefix-v$i"
    ip -n "$ns" link set "$prefix-v$i" up
    ip -n "$ns" link set lo up
  fi
  mkdir -p "$labdir/$n" "$rundir/$n"
  if engine_up "$i"; then return 0; fi
  # setsid: the engine outlives this script; its output goes to the lab dir, not to the caller's pipes.
  # unshare --uts: each node reports its own hostname (docker node ls, task placement) without touching /sys.
  setsid nice -n 10 nsenter --net="/run/netns/$ns" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$n" dockerd \
    --data-root "$labdir/$n" --exec-root "$rundir/$n" --pidfile "$rundir/$n.pid" \
    -H "unix://$sock" --bridge=none --iptables=false --ip-masq=false --ip-forward=true --no-new-privileges \
    --cgroup-parent "$n" --storage-driver overlay2 --log-level warn \
    --label "islet.lab=$prefix" --label "islet.lab.node=$n" \
    >>"$labdir/$n.log" 2>&1 </dev/null &
}

wait_node() {
  local i="$1"
  for _ in $(seq 1 240); do engine_up "$i" && return 0; sleep 0.25; done
  tail -n 20 "$labdir/$(node_name "$i").log" >&2 || true
  die "node $i's dockerd did not answer on $(node_sock "$i") within 60 s"
}

# --- PostgreSQL ---------------------------------------------------------------
pg_bin() {
  local d; d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$d" ] && [ -x "$d/initdb" ] && printf '%s' "$d"
}
as_pg() { runuser -u postgres -- "$@"; }
pg_up() {
  local bin; bin="$(pg_bin)" || die "PostgreSQL binaries not found"
  if [ ! -s "$labdir/pg/PG_VERSION" ]; then
    mkdir -p "$labdir/pg" "$rundir/pg"
    chown postgres:postgres "$labdir/pg" "$rundir/pg"; chmod 700 "$labdir/pg"
    as_pg "$bin/initdb" -D "$labdir/pg" -U postgres -A trust --no-sync -E UTF8 >/dev/null
    # Local socket: trust (admin via psql). TCP on loopback: password (what ISLET_STORE uses).
    printf 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n' >"$labdir/pg/pg_hba.conf"
  fi
  if ! as_pg "$bin/pg_ctl" -D "$labdir/pg" status >/dev/null 2>&1; then
    touch "$labdir/pg.log"; chown postgres:postgres "$labdir/pg.log"
    as_pg nice -n 10 "$bin/pg_ctl" -D "$labdir/pg" -l "$labdir/pg.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $rundir/pg -c fsync=off -c max_connections=200" >/dev/null \
      || { tail -n 20 "$labdir/pg.log" >&2; die "PostgreSQL did not start (port $pg_port busy? set ISLET_LAB_PG_PORT)"; }
  fi
  local pw
  if [ -s "$labdir/pg.password" ]; then pw="$(cat "$labdir/pg.password")"
  else pw="$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')"; (umask 077; printf '%s' "$pw" >"$labdir/pg.password"); fi
  local psql=(timeout 20 runuser -u postgres -- "$bin/psql" -h "$rundir/pg" -p "$pg_port" -U postgres -v ON_ERROR_STOP=1 -qAt)
  if [ "$("${psql[@]}" -d postgres -c "select 1 from pg_roles where rolname='$db_user'")" != 1 ]; then
    "${psql[@]}" -d postgres -c "create role $db_user login password '$pw'"
  fi
  if [ "$("${psql[@]}" -d postgres -c "select 1 from pg_database where datname='$db_name'")" != 1 ]; then
    "${psql[@]}" -d postgres -c "create database $db_name owner $db_user"
  fi
}
pg_down() {
  local bin; bin="$(pg_bin)" || return 0
  [ -s "$labdir/pg/postmaster.pid" ] || return 0
  as_pg "$bin/pg_ctl" -D "$labdir/pg" -m fast -w -t 30 stop >/dev/null 2>&1 \
    || as_pg "$bin/pg_ctl" -D "$labdir/pg" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
}

write_env() {
  local n="$1" pw; pw="$(cat "$labdir/pg.password")"
  {
    echo "# swarm lab $prefix: $n nodes (scripts/swarm-lab.sh); source this file"
    echo "export ISLET_LAB_PREFIX=$prefix"
    echo "export DOCKER_HOST=unix://$(node_sock 1)"
    echo "export ISLET_LAB_NODES=$n"
    for i in $(seq 1 "$n"); do echo "export ISLET_LAB_NODE$i=unix://$(node_sock "$i")"; done
    echo "export ISLET_STORE=postgres://$db_user:$pw@127.0.0.1:$pg_port/$db_name"
    echo "export ISLET_LAB_PG_SOCKET=$rundir/pg"
    echo "export ISLET_LAB_PG_PORT=$pg_port"
  } >"$labdir/env.tmp"
  chmod 600 "$labdir/env.tmp"; mv "$labdir/env.tmp" "$labdir/env"
}

cmd_up() {
  local n=3 images=(islet/demo:latest)
  while [ $# -gt 0 ]; do
    case "$1" in
      --image) images+=("$2"); shift 2 ;;
      --image=*) images+=("${1#--image=}"); shift ;;
      [0-9]*) n="$1"; shift ;;
      *) die "unknown argument: $1" ;;
    esac
  done
  [[ "$n" =~ ^[1-9]$ ]] || die "N must be 1..9"
  command -v dockerd >/dev/null || die "dockerd missing (scripts/setup.sh installs docker.io)"
  if ! pg_bin >/dev/null; then
    log "installing Debian's postgresql"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
  local t0=$SECONDS
  mkdir -p "$labdir" "$rundir"; chmod 755 "$labdir" "$rundir"
  # The shared bridge lives in its own namespace, so the host's bridges, routes and iptables stay as they are.
  ip netns list | awk '{print $1}' | grep -qx "$brns" || ip netns add "$brns"
  ip -n "$brns" link show "$prefix-br0" >/dev/null 2>&1 || ip -n "$brns" link add "$prefix-br0" type bridge
  ip -n "$brns" link set "$prefix-br0" up; ip -n "$brns" link set lo up
  for i in $(seq 1 "$n"); do start_node "$i"; done
  pg_up &
  pg_pid=$!
  for i in $(seq 1 "$n"); do wait_node "$i"; done
  log "engines up ($((SECONDS - t0)) s)"

  # Swarm: node 1 is the manager; the others join as workers.
  if [ "$(nd 1 $dt info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    nd 1 60 swarm init --advertise-addr "$(node_ip 1)" --listen-addr "$(node_ip 1):2377" \
      --default-addr-pool "$pool" >/dev/null
  fi
  local token; token="$(nd 1 $dt swarm join-token -q worker)"
  for i in $(seq 2 "$n"); do
    [ "$(nd "$i" $dt info --format '{{.Swarm.LocalNodeState}}')" = active ] && continue
    nd "$i" 60 swarm join --token "$token" --advertise-addr "$(node_ip "$i")" --listen-addr "$(node_ip "$i"):2377" \
      "$(node_ip 1):2377" >/dev/null
  done
  for i in $(seq 1 "$n"); do
    # A node that has just joined may not know its id yet, nor the manager the node: a few tries.
    local id="" ok=no
    for _ in $(seq 1 40); do
      id="$(nd "$i" $dt info --format '{{.Swarm.NodeID}}' 2>/dev/null || true)"
      if [ -n "$id" ] && nd 1 $dt node update --label-add "islet.lab=$prefix" --label-add "islet.lab.node=$(node_name "$i")" "$id" \
        >/dev/null 2>&1; then ok=yes; break; fi
      sleep 0.25
    done
    [ "$ok" = yes ] || die "node $i did not show up in the swarm (node id '${id}')"
  done
  log "swarm formed ($((SECONDS - t0)) s)"

  # Images without a registry: saved once from the machine's engine, loaded into each node in turn.
  for img in "${images[@]}"; do
    local f; f="$labdir/image-$(printf '%s' "$img" | tr '/:' '__').tar"
    timeout 300 docker image inspect "$img" >/dev/null 2>&1 || die "image $img not on the machine's engine"
    timeout 300 nice -n 10 docker save -o "$f" "$img"
    for i in $(seq 1 "$n"); do nd "$i" 300 load -q -i "$f" >/dev/null; done
    rm -f "$f"
  done
  log "images loaded: ${images[*]} ($((SECONDS - t0)) s)"

  local pg_ok=yes; wait "$pg_pid" || pg_ok=no; pg_pid=""
  [ "$pg_ok" = yes ] || die "PostgreSQL setup failed (see $labdir/pg.log)"
  # Every node Ready before we say so.
  for _ in $(seq 1 120); do
    [ "$(nd 1 $dt node ls --format '{{.Status}}' | grep -cx Ready)" -ge "$n" ] && break; sleep 0.5
  done
  [ "$(nd 1 $dt node ls --format '{{.Status}}' | grep -cx Ready)" -ge "$n" ] || die "not all $n nodes Ready"
  write_env "$n"
  log "up: $n nodes, PostgreSQL on 127.0.0.1:$pg_port, in $((SECONDS - t0)) s; environment in $labdir/env"
  grep '^export' "$labdir/env"
}

# What still runs of node $1: any process in its namespace (dockerd, containerd), the containerd shims started
# with its exec root, and its containers' processes (cgroups under its cgroup parent).
node_pids() {
  local n; n="$(node_name "$1")"
  # Its containers' processes live in namespaces of their own: they are found through the node's cgroup parent.
  { ip netns pids "$n" 2>/dev/null; pgrep -f -- "$rundir/$n/" 2>/dev/null || true
    find /sys/fs/cgroup -maxdepth 2 -type d -name "$n" 2>/dev/null | while read -r c; do
      find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null || true
    done; } | sort -u | tr '\n' ' '
}

# Stops the given nodes' processes: the dockerds first (SIGTERM together: each takes a few seconds to shut down),
# then whatever is left of them, SIGTERM and at last SIGKILL.
all_pids() { local i; for i in "$@"; do node_pids "$i"; done; }
wait_gone() { # <tries of 0.25 s> <node>...
  local tries="$1" p; shift
  for _ in $(seq 1 "$tries"); do p="$(all_pids "$@")"; [ -n "${p// /}" ] || return 0; sleep 0.25; done
  return 1
}
kill_nodes() {
  local i n pid
  for i in "$@"; do
    n="$(node_name "$i")"; pid="$(cat "$rundir/$n.pid" 2>/dev/null || true)"
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  wait_gone 80 "$@" && return 0
  # shellcheck disable=SC2046
  kill -TERM $(all_pids "$@") 2>/dev/null || true
  wait_gone 20 "$@" && return 0
  # shellcheck disable=SC2046
  kill -KILL $(all_pids "$@") 2>/dev/null || true
  wait_gone 20 "$@" || log "processes of the lab would not die: $(all_pids "$@")"
}

# Unmounts whatever the node left mounted under our own directories (overlay layers, netns files), deepest first.
unmount_under() {
  local d="$1"
  [ -e "$d" ] || return 0
  awk -v d="$d/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
}

cmd_down() {
  local t0=$SECONDS nodes
  nodes="$(lab_nodes)"
  for i in $nodes; do
    # Per node in parallel (separate engines); on one engine, containers go five at a time (moby#42545), then it
    # leaves the swarm.
    if engine_up "$i"; then
      { nd "$i" $dt ps -aq | head -n 200 | xargs -r -n 5 timeout 60 docker -H "unix://$(node_sock "$i")" rm -f >/dev/null 2>&1 || true
        nd "$i" 30 swarm leave --force >/dev/null 2>&1 || true; } &
    fi
  done
  wait
  # shellcheck disable=SC2086
  kill_nodes $nodes
  pg_down
  for i in $nodes; do
    local n; n="$(node_name "$i")"
    unmount_under "$rundir/$n"; unmount_under "$labdir/$n"
    ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$n" && ip netns delete "$n"
    # Cgroups the node's containers were placed under (--cgroup-parent), in every v1 hierarchy or v2.
    find /sys/fs/cgroup -maxdepth 2 -type d -name "$n" 2>/dev/null | while read -r c; do
      find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
  done
  ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$brns" && ip netns delete "$brns"
  unmount_under "$rundir"; unmount_under "$labdir"
  rm -rf --one-file-system "$rundir" "$labdir"
  log "down in $((SECONDS - t0)) s"
}

# A node lost at once, as by a power cut: every process of node $1 gets SIGKILL (its namespace, data and swarm
# membership stay, so node-start brings it back).
cmd_node_kill() {
  local i="${1:-}"
  [[ "$i" =~ ^[1-9]$ ]] && [ -d "$labdir/$(node_name "$i")" ] || die "node-kill: no node '$i' in lab $prefix"
  # shellcheck disable=SC2046
  kill -KILL $(node_pids "$i") 2>/dev/null || true
  wait_gone 40 "$i" || die "node $i: processes left: $(node_pids "$i")"
  unmount_under "$rundir/$(node_name "$i")"
  rm -f "$rundir/$(node_name "$i").pid" "$(node_sock "$i")"
  log "node $i killed"
}

# Starts node $1's engine again (after node-kill); it rejoins the swarm by itself.
cmd_node_start() {
  local i="${1:-}"
  [[ "$i" =~ ^[1-9]$ ]] && [ -d "$labdir/$(node_name "$i")" ] || die "node-start: no node '$i' in lab $prefix"
  start_node "$i"; wait_node "$i"
  log "node $i started"
}

cmd_status() {
  [ -S "$(node_sock 1)" ] || { log "no lab $prefix is up"; return 1; }
  nd 1 $dt node ls
  local bin; bin="$(pg_bin)"
  printf 'postgres: %s\n' "$(timeout 10 runuser -u postgres -- "$bin/psql" -h "$rundir/pg" -p "$pg_port" -U postgres -qAt -c 'select 1' 2>&1)"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) grep '^export' "$labdir/env" ;;
  node-kill) cmd_node_kill "${2:-}" ;;
  node-start) cmd_node_start "${2:-}" ;;
  *) echo "usage: $0 up [N] [--image IMG]... | down | status | env | node-kill I | node-start I" >&2; exit 2 ;;
esac
