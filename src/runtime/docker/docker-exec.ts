/**
 * Commands run in a container through the Engine API's exec (DockerDriver.exec):
 * `islet exec`, SSH exec requests, SFTP and forwarding helpers.
 *
 * Contracts:
 * - Every engine call about the container waits its turn in the container's
 *   own queue (engine-slots.ts: fair share between trainees).
 * - The stream is the caller's to end (Execution.close): the engine cannot
 *   finish an exec whose output nobody reads.
 * - signal() reaches the command and every process it started, from inside
 *   the container, as the command's user (see the comment at signal).
 */
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { ExecRequest, Execution } from '../runtime-driver.ts';
import type { EngineClient } from './engine-client.ts';
import type { EngineSlots } from './engine-slots.ts';
import { demux } from './demux.ts';
import { clampDim } from './tty-dims.ts';
import { SignalBatches } from './signal-batches.ts';

/** The environment variable that marks an execution's processes (exec's signal). */
const EXEC_TAG = 'ISLET_EXEC_ID';
/**
 * Sends signal $1 to every process whose environment holds one of the lines $2… (busybox or coreutils tools).
 * One `tr` per process; the lines are matched whole (newlines around both sides).
 */
const SIGNAL_SCRIPT = [
  's=$1; shift',
  'for d in /proc/[0-9]*; do',
  '  e=$(tr "\\0" "\\n" 2>/dev/null < "$d/environ") || continue',
  '  for t; do case "',
  '$e',
  '" in *"',
  '$t',
  '"*) kill -s "$s" "${d#/proc/}" 2>/dev/null; break;; esac; done',
  'done; exit 0',
].join('\n');

export class DockerExecs {
  readonly #engine: EngineClient;
  readonly #slots: EngineSlots;
  readonly #callMs: number;
  readonly #signals = new SignalBatches((id, user, sig, tags) => this.#signalTagged(id, tags, sig, user));

  constructor(engine: EngineClient, slots: EngineSlots, callMs: number) {
    this.#engine = engine;
    this.#slots = slots;
    this.#callMs = callMs;
  }

  async exec(id: string, req: ExecRequest): Promise<Execution> {
    const tty = req.tty !== undefined;
    // Marks the process and what it starts (they inherit it), so signal() finds them from inside the container.
    const tag = randomBytes(9).toString('base64url');
    // Every engine call about this container waits its turn in the container's own queue (fair share).
    const { Id: execId } = await this.#slots.fair(id, () =>
      this.#engine.json<{ Id: string }>({
        op: 'exec-create',
        method: 'POST',
        path: `/containers/${encodeURIComponent(id)}/exec`,
        timeoutMs: this.#callMs,
        body: {
          AttachStdin: true,
          AttachStdout: true,
          AttachStderr: true,
          Tty: tty,
          Cmd: [...req.cmd],
          Env: [...Object.entries(req.env ?? {}).map(([k, v]) => `${k}=${v}`), `${EXEC_TAG}=${tag}`],
          ...(req.user ? { User: req.user } : {}),
          ...(req.workdir ? { WorkingDir: req.workdir } : {}),
        },
      }),
    );
    const sock = await this.#slots.fair(id, () =>
      this.#engine.hijack({
        op: 'exec-start',
        method: 'POST',
        path: `/exec/${encodeURIComponent(execId)}/start`,
        body: { Detach: false, Tty: tty },
        timeoutMs: this.#callMs,
      }),
    );
    sock.on('error', () => undefined);
    const streams = tty ? { stdout: sock, stderr: new PassThrough().end() } : demux(sock);
    const inspect = () =>
      this.#slots.fair(id, () =>
        this.#engine.json<{ ExitCode: number | null; Pid: number; Running: boolean }>({
          op: 'exec-inspect',
          method: 'GET',
          path: `/exec/${encodeURIComponent(execId)}/json`,
          timeoutMs: this.#callMs,
        }),
      );
    let streamDone = false;
    let closed = false;
    const exited = new Promise<void>((resolve) => {
      sock.once('end', resolve);
      sock.once('close', resolve);
      sock.once('error', () => resolve());
    })
      .then(async () => {
        streamDone = true;
        // After close() the process may take a moment to die of its SIGPIPE/SIGHUP: look a little longer.
        const tries = closed ? 40 : 20;
        for (let i = 0; i < tries; i++) {
          const j = await inspect();
          if (!j.Running) return j.ExitCode ?? -1;
          await new Promise((r) => setTimeout(r, 25));
        }
        return -1;
      })
      .catch(() => -1);
    return {
      stdin: sock,
      stdout: streams.stdout,
      stderr: streams.stderr,
      exited,
      ...(tty ? {} : { transport: sock }),
      resize: async (size) => {
        await this.#slots
          .fair(id, () =>
            this.#engine.json({
              op: 'exec-resize',
              method: 'POST',
              path: `/exec/${encodeURIComponent(execId)}/resize`,
              timeoutMs: this.#callMs,
              query: { h: clampDim(size.rows), w: clampDim(size.cols) },
            }),
          )
          .catch(() => undefined);
      },
      // The engine has no signal endpoint for exec, and its Pid is a pid of the engine's host, which may not be
      // this one (a swarm node): the signal is sent from inside the container by a second exec, as the same user
      // (a container without CAP_KILL cannot signal another user's processes), to every process carrying the
      // tag, i.e. the command and the processes it started (a command's children must not outlive it: the
      // engine then holds every later exec in the container for seconds per orphan). Not once the stream ended
      // by itself: the processes are gone.
      // Signals arriving while one is being sent are coalesced, with those of the container's other executions
      // (signal-batches.ts): a client sending thousands, or closing dozens of executions at once, costs a few execs.
      signal: (sig) => {
        if (streamDone && !closed) return Promise.resolve();
        return this.#signals.signal(id, req.user, `${EXEC_TAG}=${tag}`, sig);
      },
      // Dropping the engine connection is what frees the engine: while ISLET holds an exec's stream without
      // reading it, an exited process's remaining output keeps the engine from finishing that exec, and the
      // engine then holds every later exec of the container too.
      close: () => {
        closed = true;
        sock.destroy();
        streams.stdout.destroy();
        streams.stderr.destroy();
      },
    };
  }

  /** Sends `sig` to the processes of the container whose environment holds one of `lines` (EXEC_TAG=…; see exec's signal). */
  async #signalTagged(id: string, lines: readonly string[], sig: NodeJS.Signals, user: string | undefined): Promise<void> {
    const cmd = ['sh', '-c', SIGNAL_SCRIPT, 'islet-signal', sig.replace(/^SIG/, ''), ...lines];
    const e = await this.exec(id, { cmd, ...(user ? { user } : {}) });
    e.stdin.end();
    e.stdout.resume();
    e.stderr.resume();
    // Best effort and bounded: an engine holding the container's execs (an unread stream elsewhere) may hold this one too.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([e.exited, new Promise((r) => (timer = setTimeout(r, this.#callMs)))]);
    clearTimeout(timer);
    e.close();
  }
}
