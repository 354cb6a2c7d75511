#!/usr/bin/env bash
# Reproduces every figure of docs/performance.md on this machine: sets up
# what is missing (npm dependencies with Node 24, the Docker engine, the demo
# image; the peer's openssh-server and sqlite3 are installed by its setup),
# runs each benchmark in turn against ISLET and the peer, then draws the
# charts. Results: bench/results/<date>-<name>.json and bench/results/charts/.
# Takes about 50 minutes on 2 cores.
# Any step can be rerun alone; charts.ts and report.ts read the newest results. Run it on an otherwise idle machine.
# Refuses an uncommitted tree (figures must belong to a commit); `npm run bench -- --allow-dirty` runs anyway
# and every result file says -dirty. Every result file records commit, machine, start/end and command.
set -euo pipefail
cd "$(dirname "$0")/.."
export ISLET_BENCH_COMMAND="npm run bench${*:+ -- $*}"
npm install --no-audit --no-fund --loglevel=error
node_modules/.bin/node --disable-warning=ExperimentalWarning bench/check-tree.ts "$@"
bash scripts/setup.sh --test  # --test: also the OpenSSH client and expect, for the OpenSSH sample
node="node_modules/.bin/node --disable-warning=ExperimentalWarning"
$node bench/login-latency.ts --trainees 30
$node bench/login-storm.ts --trainees 100   # runs the engine alone first (its floor, same run), then ISLET cold, peer cold, ISLET warm
$node bench/throughput.ts --mb 50 --runs 3
$node bench/data-path-cpu.ts --mb 100 --keys 2000 --runs 3 --profile   # CPU per MB and per keystroke, by process
# Interleaved (islet, peer, islet-nice in turn at every step), 3 repetitions, finer steps near 3x, CPU by process, ISLET profiled.
$node bench/workload.ts --systems islet,peer,islet-nice --steps 1,25,50,100,150,200 --reps 3 --settle 15 --refine 2 --refine-max 6 --profile
$node bench/density.ts --islet-steps 50,100,200,500,1000 --peer-steps 50,100,200   # equal n side by side, ISLET alone to 1000
$node bench/charts.ts
$node bench/report.ts   # the tables of docs/performance.md
