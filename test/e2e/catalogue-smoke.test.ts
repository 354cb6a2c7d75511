/**
 * Every starter tool of the catalogue runs on its own image: the highest
 * version of each tool (every version with ISLET_SMOKE_ALL=1) is built on
 * demand — nothing to do when the engine holds an image with the recipe's
 * label — then its recipe's smoke command runs through `islet run`, hardened
 * like a trainee's container. Capture tools carry file capabilities.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listRecipes } from '../../src/catalogue/recipe.ts';
import { islet } from '../helpers/islet-cli.ts';
import { repoRoot } from '../helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';

const runId = testRunId();
const base = mkdtempSync(join(tmpdir(), 'islet-smoke-'));
const env = { ISLET_DATA: join(base, 'data'), ISLET_TEST_RUN: runId };
after(async () => {
  await sweepTestContainers(runId);
  rmSync(base, { recursive: true, force: true });
});

const all = listRecipes(join(repoRoot, 'catalogue'));
const chosen = process.env.ISLET_SMOKE_ALL === '1' ? all : [...new Map(all.map((r) => [r.tool, r])).values()];
const STARTER = [
  'tcpdump',
  'tshark',
  'argus-client',
  'argus-server',
  'p0f',
  'netsniff-ng',
  'httpry',
  'iftop',
  'daemonlogger',
  'chaosreader',
  'nfdump',
  'ngrep',
  'tcpflow',
  'yara',
  'suricata',
];

test('the starter catalogue has every tool the issue names, each with a smoke command', () => {
  const tools = new Set(all.map((r) => r.tool));
  for (const t of STARTER) assert.ok(tools.has(t), `${t} missing from catalogue/`);
  for (const r of all) assert.ok(r.spec?.smoke, `${r.tool}/${r.version} has no smoke command`);
});

for (const r of chosen) {
  test(`smoke: ${r.tool} ${r.version} (${r.suite})`, { timeout: 20 * 60_000 }, async () => {
    const b = await islet(['image', 'build', `${r.tool}/${r.version}`], env);
    assert.equal(b.code, 0, `${b.out}\n${b.err}`);
    const s = await islet(['run', `${r.tool}:${r.version}`, '--', ...r.spec!.smoke!], env, 5 * 60_000);
    assert.equal(s.code, 0, `smoke ${r.spec!.smoke!.join(' ')}: ${s.out}\n${s.err}`);
    assert.ok((s.out + s.err).trim().length > 0, 'the smoke command printed something');
    for (const program of Object.keys(r.spec!.capabilities)) {
      const c = await islet(['run', `${r.tool}:${r.version}`, '--', 'sh', '-c', `getcap "$(command -v ${program})"; id -u`], env, 5 * 60_000);
      assert.match(c.out, new RegExp(`${program} cap_net_admin,cap_net_raw=eip\\n1000\\n$`), c.err);
    }
  });
}
