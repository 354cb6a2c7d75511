#!/usr/bin/env bash
# Reproduces every figure of docs/performance.md on this machine: sets up
# what is missing (npm dependencies with Node 24, the Docker engine, the demo
# image; the peer's openssh-server and sqlite3 are installed by its setup),
# runs each benchmark in turn against ISLET and the peer, then draws the
# charts. Results: bench/results/<date>-<name>.json and bench/results/charts/.
# Takes about 50 minutes on 2 cores.
# Any step can be rerun alone; charts.ts and report.ts read the newest results. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --no-audit --no-fund --loglevel=error
bash scripts/setup.sh --test  # --test: also the OpenSSH client and expect, for the OpenSSH sample
node="node_modules/.bin/node --disable-warning=ExperimentalWarning"
$node bench/login-latency.ts --trainees 30
$node bench/login-storm.ts --trainees 100
$node bench/engine-storm.ts --containers 100   # the engine's own floor for that storm
$node bench/throughput.ts --mb 50 --runs 3
$node bench/data-path-cpu.ts --mb 100 --keys 2000 --runs 3 --profile   # CPU per MB and per keystroke, by process
$node bench/workload.ts --steps 1,25,50,100,150,200 --repeat 5 --settle 20
$node bench/density.ts --islet-steps 100,250,500,1000 --peer-steps 50,100,200
$node bench/charts.ts
$node bench/report.ts   # the tables of docs/performance.md
