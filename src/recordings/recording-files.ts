/**
 * The recordings directory as a list, for the CLI and the console: every `.cast` file under
 * `<recordings>/<account>/` with its size, start, duration and state, read cheaply (the header line and
 * the last few KiB, never the whole file).
 *
 * States: `complete` (ends with an exit event), `live` (no exit event, and its writer — the pid and run
 * token in `.writer` — is still running), `partial` (no exit event and its writer is gone: the server
 * was killed or crashed). A file that cannot be read or parsed is listed as `partial` with what is known,
 * never left out. `truncated` when the size cap marker is in it.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { TRUNCATED_MARK } from './cast-writer.ts';
import { WRITER_FILE } from './recorder.ts';

export type RecordingState = 'complete' | 'live' | 'partial';

export interface RecordingInfo {
  readonly account: string;
  /** `<account>/<file>.cast`, relative to the recordings directory (the id the CLI and console use). */
  readonly id: string;
  readonly path: string;
  readonly bytes: number;
  readonly start: Date;
  readonly seconds: number;
  readonly state: RecordingState;
  readonly truncated: boolean;
  readonly door: string;
  readonly login: string;
  readonly input: boolean;
}

const TAIL = 8192;

interface Writer {
  readonly pid: number;
  readonly run: string;
}

async function currentWriter(dir: string): Promise<Writer | undefined> {
  try {
    const w = JSON.parse(await readFile(join(dir, WRITER_FILE), 'utf8')) as Writer;
    process.kill(w.pid, 0);
    return w;
  } catch {
    return undefined;
  }
}

/** Reads up to `n` bytes at `pos`. */
async function slice(path: string, pos: number, n: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, pos);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** The last complete event line of a tail, parsed (undefined when none parses). */
function lastEvent(tail: string): unknown[] | undefined {
  const lines = tail.split('\n');
  lines.pop(); // the part after the last newline: empty, or a line still being written (or cut by a crash)
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (!l.startsWith('[')) continue;
    try {
      return JSON.parse(l) as unknown[];
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export async function describeRecording(dir: string, path: string, writer: Writer | undefined, live?: ReadonlySet<string>): Promise<RecordingInfo> {
  const st = await stat(path);
  const id = relative(dir, path).split(sep).join('/');
  const account = id.split('/')[0] ?? '';
  let header: { timestamp?: number; islet?: { door?: string; login?: string; run?: string; input?: boolean } } = {};
  let tail = '';
  try {
    const head = await slice(path, 0, Math.min(st.size, 64 * 1024));
    header = JSON.parse(head.slice(0, head.indexOf('\n'))) as typeof header;
    tail = st.size > TAIL ? await slice(path, st.size - TAIL, TAIL) : head;
  } catch {
    /* unreadable or cut: listed as partial with what the file system says */
  }
  const start = new Date((header.timestamp ?? st.birthtimeMs / 1000) * 1000);
  const last = lastEvent(tail);
  const ended = last?.[1] === 'x';
  const running = live ? live.has(path) : !!writer && header.islet?.run === writer.run;
  const state: RecordingState = ended ? 'complete' : running ? 'live' : 'partial';
  return {
    account,
    id,
    path,
    bytes: st.size,
    start,
    seconds: Math.max(0, Math.round((st.mtimeMs - start.getTime()) / 100) / 10),
    state,
    truncated: tail.includes(`"m", "${TRUNCATED_MARK}`),
    door: header.islet?.door ?? '',
    login: header.islet?.login ?? '',
    input: header.islet?.input ?? false,
  };
}

/**
 * Every recording (of one account when given), newest first. `live`: the paths the calling server is
 * writing now (the console passes its recorder's); without it the `.writer` file decides.
 */
export async function listRecordings(dir: string, opts: { account?: string; live?: ReadonlySet<string> } = {}): Promise<RecordingInfo[]> {
  const writer = opts.live ? undefined : await currentWriter(dir);
  const accounts = opts.account
    ? [opts.account]
    : (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => d.name);
  const out: RecordingInfo[] = [];
  for (const a of accounts) {
    const names = await readdir(join(dir, a)).catch(() => [] as string[]);
    for (const n of names.filter((x) => x.endsWith('.cast'))) {
      const info = await describeRecording(dir, join(dir, a, n), writer, opts.live).catch(() => undefined);
      if (info) out.push(info);
    }
  }
  return out.sort((x, y) => y.start.getTime() - x.start.getTime() || y.id.localeCompare(x.id));
}

/** The absolute path of a recording id (`account/file.cast`), or undefined when it is not one. */
export function recordingPath(dir: string, id: string): string | undefined {
  if (!/^[A-Za-z0-9_]{1,40}\/[0-9TZ]{16}-[a-z]{1,8}-[0-9a-f]{8}\.cast$/.test(id)) return undefined;
  const p = resolve(dir, id);
  return p.startsWith(resolve(dir) + sep) ? p : undefined;
}

/** A recording as a player can read it now: complete lines only (a live one plays up to its last whole event). */
export async function playableText(path: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  return text.slice(0, text.lastIndexOf('\n') + 1);
}
