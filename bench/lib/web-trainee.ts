/**
 * The paper's scripted trainee (lib/workload.ts) through the web door: the
 * page's protocol from Node (test/browser/ws-client.ts) behind the few
 * methods runWorkload uses of an SSH trainee, so one workload drives both
 * doors and every echo is timed the same way (keystroke sent to the next
 * output frame received).
 */
import type { SshTrainee } from '../../test/helpers/ssh-trainee.ts';
import { WebClient } from '../../test/browser/ws-client.ts';
import { SHELL_PROMPT } from './targets.ts';

/** What runWorkload and the journeys call on a trainee. */
export type ScriptedTrainee = Pick<SshTrainee, 'echo' | 'send' | 'waitFor' | 'skip' | 'forget' | 'end'>;

export class WebTrainee implements ScriptedTrainee {
  readonly c: WebClient;
  #cursor = 0;

  constructor(base: string) {
    this.c = new WebClient(base, { origin: base });
  }

  async echo(text: string, timeoutMs = 10_000): Promise<number> {
    const before = this.c.received;
    const t0 = performance.now();
    this.c.type(text);
    await this.c.until(() => this.c.received > before || undefined, timeoutMs, 'echo');
    return performance.now() - t0;
  }
  send(text: string): void {
    this.c.type(text);
  }
  async waitFor(re: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    const m = await this.c.until(() => re.exec(this.c.text.slice(this.#cursor)) ?? undefined, timeoutMs, `output ${re}`);
    this.#cursor += m.index + m[0].length;
    return m;
  }
  skip(): void {
    this.#cursor = this.c.text.length;
  }
  forget(): void {
    this.c.text = '';
    this.#cursor = 0;
  }
  end(): void {
    this.c.ws.terminate();
  }
}

/** Through the web door's gate: a new account, the environment `choice`, up to the shell prompt. */
export async function openWebJourney(base: string, o: { account: string; password: string; choice: string; timeoutMs?: number }): Promise<WebTrainee> {
  const to = o.timeoutMs ?? 60_000;
  const t = new WebTrainee(base);
  try {
    t.c.hello({ cols: 120, rows: 40 });
    await t.waitFor(/\[new\/existing\]: $/, to);
    t.send('new\r');
    await t.waitFor(/Choose a username.*: $/, to);
    t.send(`${o.account}\r`);
    await t.waitFor(/Choose a password.*: $/, to);
    t.send(`${o.password}\r`);
    await t.waitFor(/Verify your password: $/, to);
    t.send(`${o.password}\r`);
    await t.waitFor(/\[Choice\]: $/, to);
    t.send(`${o.choice}\r`);
    await t.waitFor(SHELL_PROMPT, to * 2);
    return t;
  } catch (err) {
    t.end();
    throw err;
  }
}
