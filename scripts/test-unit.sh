#!/usr/bin/env bash
# The fast loop (`npm run test:unit`): every test that needs no container engine and no SSH client.
#
# Which tests are unit tests: the *.test.ts files under src/ (and scripts/: the lint's own; bench/: the benchmarks' own
# readings and tables), except those listed in ENGINE_TESTS
# below. Everything under test/ is whole-stack (engine, OpenSSH, real clients) and runs only in
# `npm test` (scripts/test.sh, which runs every test). DOCKER_HOST points nowhere here, so a unit
# test that reaches for the engine fails instead of quietly using it: list it in ENGINE_TESTS, or
# move it onto the fakes (src/runtime/fake/, src/store/memory-store.ts, test/helpers/unit-world.ts).
#
# Speed: the files run in SHARDS processes side by side, each file in its shard's process
# (--test-isolation=none: one Node start per shard instead of one per file); files are dealt to
# the shards in turn, the slowest (HEAVY, a hint only) first so they land in different shards.
# A test that forks `node` inherits the runner's flags and must have a process of its own: list it
# in OWN_PROCESS. Extra arguments go to every runner (e.g. --test-name-pattern=runner). The per-test
# limit only catches hangs: on a starved machine the scrypt tests alone take tens of seconds.
set -uo pipefail
cd "$(dirname "$0")/.."
node --version | grep -q '^v24\.' || { echo "test-unit.sh: expected Node 24 on PATH (run through npm run test:unit)" >&2; exit 1; }

# src/ tests that need the Docker engine or an OpenSSH client.
ENGINE_TESTS=(
  src/runtime/docker/docker-driver.test.ts   # the RuntimeDriver case suite against the real engine
  src/runtime/docker/relay-terminals.test.ts # the pty relay through the driver: OOM restarts, tokens, on the real engine
  src/lifecycle/lifecycle-service.test.ts    # lifecycle effects on real containers
  src/sshd/algorithms.test.ts                # what OpenSSH's ssh negotiates with the server
  src/sessions/warm-pool.test.ts             # the rename-free claim suite on the fake driver and on the real engine
  bench/lib/peer-flags.test.ts               # the peer's docker run arguments against ISLET's create body, in the engine
)
# Unit tests that fork `node` (their child would inherit --test flags in a shared process).
OWN_PROCESS=(
  src/accounts/background-hasher.test.ts
)
# The slowest unit files (scrypt at full cost, fuzzing, property runs): dealt first.
HEAVY=(
  src/access/account-throttle.test.ts
  src/config/legacy/fuzz.test.ts
  src/catalogue/version-sort.test.ts
  src/lifecycle/reconcile-property.test.ts
  src/sessions/authenticator.test.ts
  src/accounts/account-service.test.ts
  src/store/postgres-store.test.ts           # starts a throwaway PostgreSQL (Debian's package, scripts/setup.sh --test)
)
SHARDS=6

for f in "${ENGINE_TESTS[@]}" "${OWN_PROCESS[@]}"; do
  [[ -f $f ]] || { echo "test-unit.sh: $f is listed but does not exist (moved? update the list)" >&2; exit 1; }
done
mapfile -t rest < <(find src scripts bench -name '*.test.ts' | sort | grep -vxF -f <(printf '%s\n' "${ENGINE_TESTS[@]}" "${OWN_PROCESS[@]}" "${HEAVY[@]}"))
files=()
for f in "${HEAVY[@]}"; do [[ -f $f ]] && files+=("$f"); done
files+=("${rest[@]}")

export DOCKER_HOST=unix:///nonexistent/islet-unit-tests-use-no-engine.sock
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
run=(node --disable-warning=ExperimentalWarning --test --test-timeout=120000 "$@")
pids=()
for i in $(seq 0 $((SHARDS - 1))); do
  shard=()
  for j in "${!files[@]}"; do (( j % SHARDS == i )) && shard+=("${files[$j]}"); done
  "${run[@]}" --test-isolation=none "${shard[@]}" >"$logs/$i" 2>&1 & pids+=($!)
done
"${run[@]}" "${OWN_PROCESS[@]}" >"$logs/own" 2>&1 & pids+=($!)
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
cat "$logs"/*
total=$(cat "$logs"/* | awk '/^ℹ tests /{t+=$3} /^ℹ pass /{p+=$3} /^ℹ fail /{f+=$3} END{printf "%d tests, %d passed, %d failed", t, p, f}')
echo "== unit tests: $total ($(( ${#files[@]} + ${#OWN_PROCESS[@]} )) files, $SHARDS shards + ${#OWN_PROCESS[@]} own process)"
exit $status
