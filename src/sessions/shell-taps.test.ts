/**
 * Watching, asking to type and notices on a live shell, through EnvironmentRunner on the fake driver
 * (the same pipe SSH and browser trainees use), with screen restore on.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentRunner } from './environment-runner.ts';
import type { TypingState, WatchEnd, WatchEvents } from './shell-tap-types.ts';
import type { TtySize, WatchAnswer, WatchStatus } from '../core/terminal.ts';
import { MemoryTerminal } from '../../test/helpers/memory-terminal.ts';
import { unitWorld } from '../../test/helpers/unit-world.ts';
import { until } from '../../test/helpers/until.ts';

/** What a terminal shows as text: escape sequences (cursor moves between notice rows) become blanks. */
const text = (out: string) => out.replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, ' ').replace(/\s+/g, ' ');

/** A watcher that keeps what it is told. */
function watcher() {
  const w = { out: '', sizes: [] as TtySize[], typing: [] as TypingState[], ended: [] as WatchEnd[] };
  const events: WatchEvents = {
    size: (s) => w.sizes.push(s),
    output: (b) => {
      w.out += b.toString();
    },
    typing: (s) => w.typing.push(s),
    end: (why) => w.ended.push(why),
  };
  return {
    ...w,
    events,
    get state() {
      return w;
    },
  };
}

/** A trainee terminal with a help bar beside it (as the web door's): it records the states and can press buttons. */
class BarTerminal extends MemoryTerminal {
  readonly states: WatchStatus[] = [];
  readonly #answers = new Set<(a: WatchAnswer) => void>();
  watchStatus(s: WatchStatus): void {
    this.states.push(s);
  }
  onWatchAnswer(fn: (a: WatchAnswer) => void): () => void {
    this.#answers.add(fn);
    return () => this.#answers.delete(fn);
  }
  press(a: WatchAnswer): void {
    for (const fn of this.#answers) fn(a);
  }
  get last(): WatchStatus | undefined {
    return this.states.at(-1);
  }
}

async function shell(t: TestContext, term = new MemoryTerminal()) {
  const w = unitWorld();
  await w.store.createAccount({ name: 'alice', passwordHash: 'x', createdAt: w.now(), expiresAt: new Date(w.now().getTime() + 86_400_000) });
  const runner = new EnvironmentRunner({ driver: w.driver, store: w.store, log: w.log, instance: w.instance, now: w.now, screenRestore: () => true });
  const done = runner.run(term, 'alice', w.env('demo'), () => undefined);
  t.after(async () => {
    term.close();
    await done;
    runner.screens.close();
    await w.close();
  });
  const type = async (s: string, expect: RegExp) => {
    const from = term.output.length;
    term.type(s);
    await until(String(expect), () => expect.test(term.output.slice(from)));
  };
  await type('echo ready\r', /ready/);
  return { w, runner, term, type };
}

test('a watcher gets the current screen first, then live output; the trainee is told who watches and ends it with Ctrl-]', async (t) => {
  const { runner, term, type } = await shell(t);
  await type('echo before-$((40+2))\r', /before-42/);
  const v = watcher();
  const watch = await runner.taps.watch('alice', 'demo', 'ada', v.events);
  assert.ok(watch);
  assert.match(v.state.out, /before-42/, 'the screen painted before any live output');
  assert.deepEqual(v.state.sizes, [{ cols: 80, rows: 24 }], 'told the trainee size');
  await until('watch notice', () => /ada \(instructor\) is watching your terminal; press Ctrl-\] to end it/.test(text(term.output)));
  assert.deepEqual(
    runner.taps.list().map((s) => [s.account, s.watchers]),
    [['alice', ['ada']]],
  );
  await type('echo live-$((6*7))\r', /live-42/);
  await until('live output at the watcher', () => /live-42/.test(v.state.out));
  // The trainee resizes: the watcher is told (it never sets a size itself).
  term.resize({ cols: 100, rows: 30 });
  await until('size', () => v.state.sizes.length === 2);
  term.type('\x1d');
  await until('ended', () => v.state.ended.includes('trainee_ended'));
  await until('end notice', () => /You ended watching by ada/.test(text(term.output)));
  assert.equal(runner.taps.list()[0]!.watchers.length, 0);
  assert.equal(watch.ask(), false, 'an ended watch cannot ask');
});

test('typing needs the trainee’s y: refused with n, then allowed; the instructor’s input is logged as theirs and replies are stripped', async (t) => {
  const { w, runner, term, type } = await shell(t);
  const v = watcher();
  const watch = (await runner.taps.watch('alice', 'demo', 'ada', v.events))!;
  assert.equal(watch.type(Buffer.from('echo sneaky-$((1+1))\r')), false, 'no typing before the trainee agrees');
  assert.equal(watch.ask(), true);
  assert.equal(watch.ask(), false, 'one ask at a time');
  await until('ask notice', () => /ada \(instructor\) asks to type in your terminal\. Allow\? Press y for yes, n for no\./.test(text(term.output)));
  term.type('n');
  await until('refused', () => v.state.typing.includes('refused'));
  assert.equal(watch.type(Buffer.from('echo sneaky-$((1+1))\r')), false);
  assert.equal(watch.ask(), true);
  term.type('y');
  await until('granted', () => v.state.typing.includes('granted'));
  await until('typing notice', () => /ada \(instructor\) is typing in your terminal/.test(text(term.output)));
  // A DA1 reply from the watcher's terminal is dropped; the keys reach the shell.
  assert.equal(watch.type(Buffer.from('\x1b[?1;2cecho from-ada-$((2+3))\r')), true);
  await until('instructor input ran', () => /from-ada-5/.test(text(term.output)));
  assert.doesNotMatch(term.output, /sneaky-2/, 'what was typed before the yes never ran');
  assert.doesNotMatch(term.output, /\?1;2c/);
  assert.doesNotMatch(term.output, /\$ [yn]/, 'the answers y and n did not reach the shell');
  await until('input reported', () => w.logged('instructor_input').length > 0);
  const logged = w.logged('instructor_input');
  assert.equal(logged.length, 1);
  assert.equal(logged[0]!.instructor, 'ada');
  assert.equal(logged[0]!.account, 'alice');
  assert.equal(logged[0]!.bytes, 'echo from-ada-$((2+3))\r'.length);
  watch.stopTyping();
  assert.equal(watch.type(Buffer.from('x')), false);
  await until('stopped notice', () => /ada stopped typing/.test(text(term.output)));
  watch.close();
  await until('stopped watching notice', () => /ada stopped watching your terminal/.test(text(term.output)));
  await type('echo after\r', /after/);
});

test('no watch of a shell nobody is attached to; the watch ends when the trainee leaves', async (t) => {
  const { runner, term } = await shell(t);
  assert.equal(await runner.taps.watch('alice', 'other', 'ada', watcher().events), undefined);
  assert.equal(await runner.taps.watch('bob', 'demo', 'ada', watcher().events), undefined);
  const v = watcher();
  assert.ok(await runner.taps.watch('alice', 'demo', 'ada', v.events));
  term.close();
  await until('ended', () => v.state.ended.includes('shell_left'));
  assert.deepEqual(runner.taps.list(), []);
});

test('a help bar beside the terminal is told who watches, asks and types; its buttons answer as y, n and Ctrl-] do', async (t) => {
  const bar = new BarTerminal();
  const { runner, type } = await shell(t, bar);
  const v = watcher();
  const watch = (await runner.taps.watch('alice', 'demo', 'ada', v.events))!;
  await until('watching shown', () => bar.last?.watchers.join() === 'ada' && !bar.last?.asking);
  assert.equal(watch.ask(), true);
  await until('ask shown', () => bar.last?.asking === 'ada');
  bar.press('refuse');
  await until('refused', () => v.state.typing.includes('refused'));
  await until('ask gone', () => bar.last?.asking === undefined && bar.last?.watchers.join() === 'ada');
  bar.press('allow'); // stale: nothing is asked any more
  assert.equal(watch.type(Buffer.from('x')), false, 'a button with nothing asked grants nothing');
  assert.equal(watch.ask(), true);
  await until('asked again', () => bar.last?.asking === 'ada');
  bar.press('allow');
  await until('granted', () => v.state.typing.includes('granted'));
  assert.equal(bar.last?.typing, 'ada');
  assert.equal(watch.type(Buffer.from('echo by-ada-$((3+4))\r')), true);
  await until('instructor input ran', () => /by-ada-7/.test(text(bar.output)));
  assert.doesNotMatch(bar.output, /\$ [yn]/, 'no y or n reached the shell');
  bar.press('end');
  await until('watch ended', () => v.state.ended.includes('trainee_ended'));
  await until('bar cleared', () => bar.last?.watchers.length === 0 && !bar.last?.asking && !bar.last?.typing);
  await until('ended notice', () => /You ended watching by ada/.test(text(bar.output)));
  assert.equal(watch.type(Buffer.from('x')), false);
  await type('echo after\r', /after/);
});
