/**
 * `islet instructor add|remove|list`: the instructor console's logins, kept in
 * islet.yaml of the config directory (`instructors`: name and scrypt hash, the
 * same hashing as trainee passwords, src/accounts/password.ts). The server
 * re-reads the file when it changes, so a new instructor can log in at once.
 *
 * The password is asked twice on a terminal (not echoed), or read as the
 * first line of stdin otherwise (for scripts: `echo pw | islet instructor add ada`).
 * It is never printed or logged.
 */
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hashPassword } from '../../accounts/password.ts';
import { ConfigSource } from '../../config/config-source.ts';
import { optionValue } from '../options.ts';
import { withInstructor, withoutInstructor } from './instructor-yaml.ts';

export const INSTRUCTOR_HELP = 'Instructor console logins in islet.yaml: add NAME (password asked twice, or the first line of stdin), remove NAME, list';
const NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
export const MIN_INSTRUCTOR_PASSWORD = 8;

/** Keys typed ahead of a prompt (both passwords typed at once) are kept for the next one. */
let typedAhead = '';

/** Reads a line from a terminal without echo. */
function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    // Echo off before the prompt shows: a key typed as soon as it appears is never echoed.
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    let line = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(line);
    };
    const feed = (text: string): boolean => {
      const chars = [...text];
      for (let i = 0; i < chars.length; i++) {
        const ch = chars[i]!;
        if (ch === '\r' || ch === '\n') {
          // A CR LF pair is one Enter.
          const rest = chars.slice(i + 1).join('');
          typedAhead = ch === '\r' && rest.startsWith('\n') ? rest.slice(1) : rest;
          done();
          return true;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          done(new Error('cancelled'));
          return true;
        }
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else if (ch >= ' ') line += ch;
      }
      return false;
    };
    const onData = (b: Buffer) => void feed(b.toString('utf8'));
    const ahead = typedAhead;
    typedAhead = '';
    if (feed(ahead)) return;
    stdin.on('data', onData);
    stdin.resume();
  });
}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    const a = await askHidden('Password: ');
    const b = await askHidden('Again: ');
    if (a !== b) throw new Error('the two passwords differ');
    return a;
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/** Replaces the file in one step, keeping its mode (islet.yaml may hold other secrets). */
function writeKeepingMode(path: string, text: string): void {
  const mode = existsSync(path) ? statSync(path).mode & 0o777 : 0o600;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

export async function instructorCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { config: { type: 'string' } } });
  const [verb, name, ...extra] = positionals;
  const dir = optionValue('config', values);
  const path = join(dir, 'islet.yaml');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  if (verb === 'list' && name === undefined) {
    for (const i of new ConfigSource(dir).current().global.instructors) console.log(i.name);
    return 0;
  }
  if ((verb !== 'add' && verb !== 'remove') || name === undefined || extra.length) {
    console.error('usage: islet instructor add NAME | remove NAME | list  [--config DIR]');
    return 3;
  }
  if (!NAME.test(name)) {
    console.error(`islet: instructor name must match ${NAME}`);
    return 3;
  }
  if (verb === 'remove') {
    const r = withoutInstructor(text, name);
    if (!r.removed) {
      console.error(`islet: no instructor ${name} in ${path}`);
      return 1;
    }
    writeKeepingMode(path, r.text);
    console.log(`removed instructor ${name} from ${path}`);
    return 0;
  }
  const password = await readPassword();
  if (password.length < MIN_INSTRUCTOR_PASSWORD) {
    console.error(`islet: an instructor password needs at least ${MIN_INSTRUCTOR_PASSWORD} characters`);
    return 3;
  }
  writeKeepingMode(path, withInstructor(text, name, await hashPassword(password)));
  console.log(`instructor ${name} can log in at /console (written to ${path})`);
  return 0;
}
