/**
 * The web door's framed protocol over one WebSocket (docs/web.md has the
 * full description). Binary frames carry terminal bytes: page → server raw
 * input; server → page an 8-byte big-endian sequence number (the byte offset
 * of the payload in the session's output) then the output. Text frames carry
 * one JSON control message each, validated here.
 *
 * Contract: parseClientControl never throws; anything malformed or unknown
 * is undefined and the server closes the connection (WEB_PROTOCOL).
 */
import type { WatchAnswer, WatchStatus } from '../core/terminal.ts';

export const PROTOCOL_VERSION = 1;
/** Largest frame a page may send (ws would allow 100 MiB): a paste is split by the page. */
export const MAX_FRAME = 64 * 1024;

export type ClientControl =
  | { t: 'hello'; v: number; cols: number; rows: number; login?: string; resume?: { id: string; seq: number } }
  | { t: 'resize'; cols: number; rows: number }
  | { t: 'ack'; seq: number }
  | { t: 'pause' }
  | { t: 'resume' }
  | { t: 'bye' }
  /** The trainee's button in the help bar (an instructor watching: src/sessions/shell-taps.ts). */
  | { t: 'watch-answer'; answer: WatchAnswer };

export type ServerControl =
  | { t: 'session'; id: string; resumable: boolean; resumeSeconds: number }
  /** `end`: the output's end when resumed; a reloaded page treats what comes before it as a replay (no answers to queries in it). */
  | { t: 'resumed'; id: string; seq: number; end: number }
  | { t: 'exit'; code: number }
  | { t: 'replaced' }
  | { t: 'error'; code: string; message: string }
  /** Who watches this shell, asks to type or types (the page's help bar); empty `watchers` and no `asking`: nothing. */
  | ({ t: 'watch' } & WatchStatus);

const size = (n: unknown, fallback: number): number => (Number.isInteger(n) && (n as number) > 0 ? Math.min(n as number, 1000) : fallback);
const isSeq = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

export function parseClientControl(text: string): ClientControl | undefined {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null) return undefined;
  const o = m as Record<string, unknown>;
  switch (o.t) {
    case 'hello': {
      if (o.v !== PROTOCOL_VERSION) return undefined;
      const h: ClientControl = { t: 'hello', v: PROTOCOL_VERSION, cols: size(o.cols, 80), rows: size(o.rows, 24) };
      if (typeof o.login === 'string' && o.login.length > 0 && o.login.length <= 80) h.login = o.login;
      const r = o.resume as Record<string, unknown> | undefined;
      if (r && typeof r === 'object' && typeof r.id === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(r.id) && isSeq(r.seq)) h.resume = { id: r.id, seq: r.seq };
      return h;
    }
    case 'resize':
      return { t: 'resize', cols: size(o.cols, 80), rows: size(o.rows, 24) };
    case 'ack':
      return isSeq(o.seq) ? { t: 'ack', seq: o.seq } : undefined;
    case 'pause':
      return { t: 'pause' };
    case 'resume':
      return { t: 'resume' };
    case 'bye':
      return { t: 'bye' };
    case 'watch-answer':
      return o.answer === 'allow' || o.answer === 'refuse' || o.answer === 'end' ? { t: 'watch-answer', answer: o.answer } : undefined;
    default:
      return undefined;
  }
}

/**
 * A hello carried in the upgrade URL (`/ws?v=1&cols=C&rows=R`), so a new session starts the moment the socket
 * opens instead of after the page's first frame (page load to the first prompt: the page's main thread is busy
 * loading xterm.js when the socket opens). Only a new session without a login name: a login name or a resume
 * travels in a hello frame (nothing about the trainee in a request line). Undefined: wait for the hello frame.
 */
export function urlHello(url: string): Extract<ClientControl, { t: 'hello' }> | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const p = new URLSearchParams(url.slice(q + 1));
  if ([...p.keys()].some((k) => k !== 'v' && k !== 'cols' && k !== 'rows') || Number(p.get('v')) !== PROTOCOL_VERSION) return undefined;
  const n = (k: string) => (/^\d{1,4}$/.test(p.get(k) ?? '') ? Number(p.get(k)) : undefined);
  return { t: 'hello', v: PROTOCOL_VERSION, cols: size(n('cols'), 80), rows: size(n('rows'), 24) };
}

/** An output frame: 8-byte sequence number, then the bytes. */
export function outputFrame(seq: number, data: Buffer): Buffer {
  const f = Buffer.allocUnsafe(8 + data.length);
  f.writeBigUInt64BE(BigInt(seq), 0);
  data.copy(f, 8);
  return f;
}
