#!/usr/bin/env bash
# Stops the ISLET benchmark peer's sshd, removes the peer's containers
# (label islet.peer=true) and deletes its account database, so the next run
# starts fresh. Idempotent. Usage (as root): bash bench/peer/stop-peer.sh
set -uo pipefail

PIDFILE=/run/islet-peer-sshd.pid
DBDIR=/var/lib/islet-peer

log() { printf 'islet-peer: %s\n' "$*" >&2; }

# The listener: only the pid in our pid file, and only if it is an sshd.
# Ending it closes the listener; the sessions' own sshd processes end when
# their containers are removed below (docker CLI exits, menu sees EOF).
if [ -f "$PIDFILE" ]; then
  pid="$(cat "$PIDFILE")"
  if kill -0 "$pid" 2>/dev/null && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = /usr/sbin/sshd ]; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "stopped sshd (pid $pid)"
  fi
  rm -f "$PIDFILE"
fi

# Containers: at most 3 removals in flight (the engine deadlocks on many parallel removals).
ids="$(docker ps -aq --filter label=islet.peer=true)"
n=0
if [ -n "$ids" ]; then
  n=$(printf '%s\n' "$ids" | wc -l)
  printf '%s\n' "$ids" | xargs -r -n 1 -P 3 docker rm -f >/dev/null
fi
left="$(docker ps -aq --filter label=islet.peer=true | wc -l)"

rm -f "$DBDIR/peer.db" "$DBDIR/peer.db-wal" "$DBDIR/peer.db-shm" "$DBDIR/peer.db-journal"
echo "islet-peer: stopped; removed $n container(s), $left left; database deleted"
[ "$left" -eq 0 ]
