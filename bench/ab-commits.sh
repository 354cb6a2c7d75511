#!/usr/bin/env bash
# One benchmark, two commits, on one machine, interleaved: A, B, A, B … — so that a change between two
# result files of different days can be told apart from a change of the machine (docs/performance.md,
# "the data path's CPU cost").
#
# Usage: bash bench/ab-commits.sh <commit-a> <commit-b> <reps> <bench-script> [bench args…]
#   e.g. bash bench/ab-commits.sh e8275c2 HEAD 2 bench/data-path-cpu.ts --targets islet --runs 3
# Each commit runs from a clean worktree (its own code and bench script, this checkout's node_modules).
# Every run's result file is kept as bench/results/<date>-ab-<script>/<commit>-<rep>.json; the files
# record their own commit, machine, times and command. Worktrees are removed afterwards, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 4 ] || { echo "usage: bash bench/ab-commits.sh <commit-a> <commit-b> <reps> <bench-script> [args…]" >&2; exit 2; }
a="$(git rev-parse --short "$1")"
b="$(git rev-parse --short "$2")"
reps="$3"
script="$4"
shift 4
export PATH="$PWD/node_modules/.bin:$PATH"
root="$PWD"
out="$root/bench/results/$(date -u +%F)-ab-$(basename "$script" .ts)"
mkdir -p "$out"
work="$(mktemp -d -t islet-ab.XXXXXX)"
cleanup() {
  for c in "$a" "$b"; do git -C "$root" worktree remove --force "$work/$c" 2>/dev/null || true; done
  git -C "$root" worktree prune
  rm -rf "$work"
}
trap cleanup EXIT
for c in "$a" "$b"; do
  git worktree add -q --detach "$work/$c" "$c"
  ln -s "$root/node_modules" "$work/$c/node_modules"
done
for rep in $(seq 1 "$reps"); do
  for c in "$a" "$b"; do
    res="$work/results-$c-$rep"
    mkdir -p "$res"
    echo "ab: $c rep $rep: node $script $*" >&2
    (cd "$work/$c" && ISLET_BENCH_RESULTS="$res" node "$script" "$@")
    for f in "$res"/*.json; do cp "$f" "$out/$c-$rep.json"; done
  done
done
echo "ab: results in $out" >&2
