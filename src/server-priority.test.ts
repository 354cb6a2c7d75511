import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { scrypt } from 'node:crypto';
import { createLogger } from './logger.ts';
import { applyPriority } from './server-priority.ts';
import { autogroupNice, setAutogroupNice } from './os/autogroup.ts';

/** nice value of every thread of this process (field 19 of /proc/self/task/<tid>/stat). */
function threadNice(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(fields[16]));
  }
  return out;
}

test('raises the event-loop thread only; the thread pool keeps its priority', {
  skip: process.getuid?.() !== 0 ? 'needs root to lower a nice value' : false,
}, async (t) => {
  const before = getPriority(process.pid);
  // applyPriority also sets this session's autogroup (shared with the test runner): put it back.
  const group = autogroupNice('self');
  t.after(() => {
    if (group !== undefined) setAutogroupNice('self', group);
  });
  await applyPriority(before - 3, createLogger({ level: 'silent' }));
  if (group !== undefined) assert.equal(autogroupNice('self'), before - 3, "the session's autogroup gets the same nice");
  assert.equal(getPriority(process.pid), before - 3, 'main thread raised');
  // Work on the pool (scrypt) after the change runs on threads that kept the old value.
  await new Promise((r) => scrypt('x', 'y', 16, r));
  const nice = threadNice();
  assert.equal(nice.get(process.pid), before - 3);
  const others = [...nice].filter(([tid]) => tid !== process.pid).map(([, n]) => n);
  assert.ok(others.length >= 4, `pool threads exist (${others.length} other threads)`);
  assert.ok(
    others.every((n) => n === before),
    `every other thread stays at ${before}: ${others.join(',')}`,
  );
});

test('without permission it warns and keeps running', async () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'info' });
  (log as unknown as { warn: (...a: unknown[]) => void }).warn = (...a: unknown[]) => {
    lines.push(JSON.stringify(a[0]));
  };
  await applyPriority(-21, log); // out of range: refused like a missing permission
  assert.ok(
    lines.some((l) => l.includes('priority_unchanged')),
    lines.join('\n'),
  );
});
