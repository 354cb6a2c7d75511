#!/usr/bin/env bash
# Reproduces every figure of docs/performance.md on this machine: sets up
# what is missing (npm dependencies with Node 24, the Docker engine, the demo
# image; the peer's openssh-server and sqlite3 are installed by its setup),
# runs each benchmark against ISLET and the peer, then draws the charts and
# writes the tables (the targets table included) from the result files.
# Results: bench/results/<date>-<name>.json and bench/results/charts/.
# About 2 to 3 hours on 2 cores: the interleaved workload took 66 min and its cut-off 10 min on 2026-12-04 (3dcc15a,
# the pty relay; 2 h for the workload on 2026-12-03 with the engine's attach, whose slots past the knee ran longer);
# each step prints its own duration. Run it on an otherwise idle machine.
#
# Usage: npm run bench [-- --allow-dirty] [-- --only workload,report]
#   --allow-dirty  run on an uncommitted tree (every result file then says -dirty and lists the paths);
#                  without it an uncommitted tree is refused: figures must belong to a commit.
#   --only a,b     only these steps: latency, storm, throughput, data-path, workload, cutoff, echo-trace, governor, engine-caps, seal, busy-host, density, catalogue, charts, report.
# Every result file records commit, machine, start and end time and the exact command (bench/lib/run-meta.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
export ISLET_BENCH_COMMAND="npm run bench${*:+ -- $*}"
allow=() only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --allow-dirty) allow=(--allow-dirty) ;;
    --only) only=",$2,"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
npm install --no-audit --no-fund --loglevel=error
node_modules/.bin/node --disable-warning=ExperimentalWarning bench/check-tree.ts "${allow[@]}"
bash scripts/setup.sh --test  # --test: also the OpenSSH client and expect, for the OpenSSH sample
node="node_modules/.bin/node --disable-warning=ExperimentalWarning"
$node bench/machine-state.ts  # says so when the VM is in a slow spell (every result file records the same probe)
step() {
  local name="$1"; shift
  if [ -n "$only" ] && [[ "$only" != *",$name,"* ]]; then return; fi
  local t0=$SECONDS
  echo "== $name: $*"
  "$@"
  echo "== $name took $(( (SECONDS - t0) / 60 )) min $(( (SECONDS - t0) % 60 )) s"
}
step latency $node bench/login-latency.ts --trainees 30
# Two rounds of: the engine alone (its floor, same run), ISLET cold, peer cold (order alternating); then ISLET with a warm pool of 100 (its own server).
step storm $node bench/login-storm.ts --trainees 100 --rounds 2 --profile   # + per-process CPU of every storm; the profile on a server of its own
step throughput $node bench/throughput.ts --mb 50 --runs 3
step data-path $node bench/data-path-cpu.ts --mb 100 --keys 2000 --runs 3 --profile   # CPU per MB and per keystroke, by process
# Interleaved: islet (nice 0), peer, islet-nice in turn at every step, 5 repetitions (the same random delays for every system in each slot), finer steps near 3x,
# CPU by process group per slot; then a separate ISLET (nice 0, not compared) under --cpu-prof with 99 working.
# Each loaded exercise is capped at 90 s (a lower bound past it), and steps above one where every run is past 3x are
# skipped: in a slow spell (2026-12-02) the knee came below 150, where one slot took 120 s (ISLET) and 422 s (the peer).
step workload $node bench/workload.ts --systems islet,peer,islet-nice --steps 1,25,50,100,150,200 --reps 5 --settle 15 --refine 2 --refine-max 6 --profile --exercise-timeout 90
# The cut-off above the main run's steps, where it reached no 3x crossing by 200 on this machine (2026-12-01): the room's demand
# passes the two cores between 200 and 210 and a slot past that knee can run for minutes, so each exercise is capped at 90 s
# (recorded as a lower bound). Read on by the targets table (bench/lib/targets-table.ts).
step cutoff $node bench/workload.ts --systems islet,peer --steps 210 --reps 3 --settle 15 --refine 0 --exercise-timeout 90 --name workload-cutoff
# Where the echo tail comes from: ISLET (nice 0) with 99 working, its event loop's lateness and a 15 s scheduler trace (tracefs; root);
# then the same with the cut-off exercise running back to back (the workload's loaded-slot condition).
step echo-trace $node bench/echo-trace.ts --n 100 --seconds 40 --trace-seconds 15 --rt-probe
step echo-trace $node bench/echo-trace.ts --n 100 --seconds 40 --trace-seconds 15 --exercise --rt-probe
# What the CPU-weight governor costs ISLET's event loop: 200 containers in the trainee group, ticked every half second for 20 s
# while all are idle (a quiet room) and 20 s while one is busy.
step governor $node bench/governor-cost.ts --n 200 --seconds 20
# Whether the engine's storm throughput depends on ISLET's mutation cap: the engine alone's storm at 2, 4 and 8 at a time.
step engine-caps $node bench/engine-caps.ts --containers 100 --caps 2,4,8 --reps 3
# What one new account's seal costs the hashing process, and one login's verify the server, with and without the malloc settings (src/os/kdf-malloc.ts).
step seal $node bench/seal-cost.ts --seals 20 --reps 3
# Trainees beside a host job that keeps every CPU busy: logins and an echo, quiet host then busy (the trainee group's guard).
step busy-host $node bench/busy-host.ts --logins 5
# Equal n side by side (50, 100, 200), ISLET alone on to 1000.
step density $node bench/density.ts --islet-steps 50,100,200,500,1000 --peer-steps 50,100,200
# How long the catalogue takes to build here: a Debian base from an empty cache, with its packages cached, up to date;
# one tool recipe likewise (a temporary cache: the shared one is left alone).
step catalogue $node bench/catalogue-build.ts --suite bookworm --tool tcpdump/4.99.3
step charts $node bench/charts.ts
step report $node bench/report.ts   # every table of docs/performance.md, the targets table included
echo "== all done in $(( SECONDS / 60 )) min"
