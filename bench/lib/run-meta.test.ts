import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repoRoot } from '../../test/helpers/islet-process.ts';
import { commandLine, commitLabel, dirtyPaths, runMeta } from './run-meta.ts';

test('dirtyPaths: tracked changes, renames by their new path, results excluded', () => {
  const porcelain = [' M src/main.ts', 'M  bench/workload.ts', 'R  a.ts -> b.ts', ' M bench/results/2026-11-30-workload.json', ''].join('\n');
  assert.deepEqual(dirtyPaths(porcelain), ['src/main.ts', 'bench/workload.ts', 'b.ts']);
  assert.deepEqual(dirtyPaths(''), []);
});

test('commitLabel: short hash, -dirty only when something changed', () => {
  assert.equal(commitLabel('0123456789abcdef', []), '0123456');
  assert.equal(commitLabel('0123456789abcdef', ['x']), '0123456-dirty');
});

test('commandLine: a URL password in an argument is masked (result files are committed); control: the rest stays', () => {
  const argv = ['node', `${process.cwd()}/bench/store-logins.ts`, '--store', 'postgres://islet:s3cret@db:5432/islet', '--rate', '10'];
  const line = commandLine(argv, undefined);
  assert.ok(!line.includes('s3cret'), line);
  assert.match(line, /--store 'postgres:\/\/islet:\*\*\*@db:5432\/islet' --rate 10$/);
});

test('commandLine: the script relative to the repository, arguments quoted when needed', () => {
  const argv = ['/usr/bin/node', join(repoRoot, 'bench/workload.ts'), '--steps', '1,25', '--note', "it's"];
  assert.equal(commandLine(argv, undefined), "node bench/workload.ts --steps 1,25 --note 'it'\\''s'");
  assert.equal(commandLine(argv.slice(0, 2), '--cpu-prof'), 'NODE_OPTIONS=--cpu-prof node bench/workload.ts');
});

test("runMeta: this checkout's commit, start before end, the machine", () => {
  const m = runMeta();
  assert.match(m.commit, /^[0-9a-f]{7}(-dirty)?$/);
  assert.equal(m.dirty, m.dirty_paths.length > 0);
  assert.ok(m.started <= m.ended);
  assert.ok(m.machine.cpus >= 1 && m.machine.hostname.length > 0);
  assert.equal(m.load_at_start.length, 3);
});
