/**
 * The real OpenSSH client logging in with a password, without a terminal: the password comes from an
 * SSH_ASKPASS script that prints $ISLET_TEST_PASSWORD (so one script serves every account and no password
 * is written to disk). `menu` opens a PTY and collects the output until the menu's prompt; `exec` runs a command.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ARGS = [
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'LogLevel=INFO', // INFO: the server's auth banner (e.g. the expiry message) reaches stderr
  '-o',
  'PreferredAuthentications=password,keyboard-interactive',
  '-o',
  'PubkeyAuthentication=no',
  '-o',
  'NumberOfPasswordPrompts=1',
  '-o',
  'ConnectTimeout=30',
];

export class OpensshPassword {
  readonly #askpass: string;
  readonly #port: number;

  /** `dir`: a private directory for the askpass script. */
  constructor(dir: string, port: number) {
    this.#askpass = join(dir, 'askpass-env.sh');
    writeFileSync(this.#askpass, '#!/bin/sh\nprintf \'%s\\n\' "$ISLET_TEST_PASSWORD"\n', { mode: 0o700 });
    this.#port = port;
  }

  #spawn(user: string, password: string, extra: string[], command: string[] = []) {
    return spawn('ssh', ['-p', String(this.#port), ...ARGS, ...extra, `${user}@127.0.0.1`, ...command], {
      env: { ...process.env, SSH_ASKPASS: this.#askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0', ISLET_TEST_PASSWORD: password },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  /** Logs in with a PTY and resolves with the output once `until` appears (or whatever came within `timeoutMs`). */
  menu(user: string, password: string, until: string, timeoutMs = 90_000): Promise<{ out: string; err: string }> {
    const p = this.#spawn(user, password, ['-tt']);
    let out = '';
    let err = '';
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        p.kill('SIGKILL');
        resolve({ out, err });
      };
      const timer = setTimeout(done, timeoutMs);
      p.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes(until)) done();
      });
      p.stderr.on('data', (b: Buffer) => {
        err += b.toString();
      });
      p.on('close', done);
    });
  }

  /** Runs `command` as `user` (no PTY); resolves with the exit code and both streams. */
  exec(user: string, password: string, command: string, timeoutMs = 90_000): Promise<{ code: number; stdout: string; stderr: string }> {
    const p = this.#spawn(user, password, ['-T'], [command]);
    p.stdin.end();
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    p.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    return new Promise((resolve) => {
      const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }
}
