/**
 * A scripted web door client in Node (the `ws` package), for security tests
 * and the latency bench: it speaks the framed protocol of docs/web.md with
 * the Origin and Cookie a test chooses, acknowledges output, and collects it
 * as text.
 */
import WebSocket from 'ws';

export interface WebClientOptions {
  readonly origin?: string | undefined;
  readonly cookie?: string | undefined;
  readonly rejectUnauthorized?: boolean;
  /** The upgrade path with its query (default `/ws`): `/ws?v=1&cols=C&rows=R` carries the hello (protocol.ts urlHello). */
  readonly path?: string;
}
export type Control = { t: string; [k: string]: unknown };

export class WebClient {
  readonly ws: WebSocket;
  readonly controls: Control[] = [];
  text = '';
  received = 0;
  closeCode: number | undefined;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;
  #waiters = new Set<() => void>();

  constructor(base: string, o: WebClientOptions = {}) {
    const headers: Record<string, string> = {};
    if (o.cookie) headers.cookie = o.cookie;
    this.ws = new WebSocket(`${base.replace(/^http/, 'ws')}${o.path ?? '/ws'}`, {
      headers,
      ...(o.origin !== undefined ? { origin: o.origin } : {}),
      ...(o.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    });
    this.opened = new Promise((res, rej) => {
      this.ws.once('open', () => res());
      this.ws.once('unexpected-response', (_req, r) => rej(Object.assign(new Error(`upgrade refused: HTTP ${r.statusCode}`), { status: r.statusCode })));
      this.ws.once('error', rej);
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((res) =>
      this.ws.once('close', (code) => {
        clearTimeout(this.#ackTimer);
        this.closeCode = code;
        this.#wake();
        res(code);
      }),
    );
    this.ws.on('message', (data: Buffer, binary: boolean) => {
      if (binary) {
        const seq = Number(data.readBigUInt64BE(0));
        const body = data.subarray(8);
        if (seq + body.length > this.received) {
          const fresh = body.subarray(this.received - seq);
          this.text += fresh.toString();
          this.received += fresh.length;
          // Answer a cursor position request as a terminal would (BusyBox's line editor asks at every prompt).
          if (fresh.includes('\x1b[6n')) this.type('\x1b[1;1R');
          this.#ackSoon();
        }
      } else this.controls.push(JSON.parse(data.toString()) as Control);
      this.#wake();
    });
  }

  #acked = 0;
  #ackTimer: NodeJS.Timeout | undefined;
  /** Acknowledges as the page does (public/protocol.js): at once past 16 KiB, otherwise within 100 ms. */
  #ackSoon(): void {
    if (this.received - this.#acked >= 16 * 1024) {
      this.#ack();
      return;
    }
    this.#ackTimer ??= setTimeout(() => this.#ack(), 100).unref();
  }
  #ack(): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    if (this.received === this.#acked || this.ws.readyState !== WebSocket.OPEN) return;
    this.#acked = this.received;
    this.send({ t: 'ack', seq: this.#acked });
  }

  #wake(): void {
    for (const w of this.#waiters) w();
  }

  /** Sends a control message (once open, when still connecting). */
  send(m: object): void {
    if (this.ws.readyState === WebSocket.CONNECTING) {
      void this.opened.then(
        () => this.send(m),
        () => undefined,
      );
      return;
    }
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }
  hello(h: { login?: string; resume?: { id: string; seq: number }; cols?: number; rows?: number } = {}): void {
    this.send({ t: 'hello', v: 1, cols: 80, rows: 24, ...h });
  }
  type(s: string): void {
    if (this.ws.readyState === WebSocket.CONNECTING) {
      void this.opened.then(
        () => this.type(s),
        () => undefined,
      );
      return;
    }
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(Buffer.from(s));
  }

  /** Resolves when `pred` holds (checked at every message), rejects after timeoutMs. */
  until<T>(pred: () => T | undefined | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
    return new Promise((res, rej) => {
      const check = () => {
        const v = pred();
        if (v) {
          clearTimeout(timer);
          this.#waiters.delete(check);
          res(v);
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        rej(new Error(`${what} not met within ${timeoutMs} ms; output:\n${this.text.slice(-800)}\ncontrols: ${JSON.stringify(this.controls)}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
  /** Waits for output matching `re` after offset `from` (default: anywhere). */
  waitText(re: RegExp | string, timeoutMs = 20_000, from = 0): Promise<true> {
    const seen = () => (typeof re === 'string' ? this.text.indexOf(re, from) >= 0 : re.test(this.text.slice(from))) || undefined;
    return this.until(seen, timeoutMs, `output ${String(re)}`);
  }
  waitControl(t: string, timeoutMs = 20_000): Promise<Control> {
    return this.until(() => this.controls.find((c) => c.t === t), timeoutMs, `control ${t}`);
  }
  close(): void {
    this.ws.close();
  }
}

/** GETs the page and returns the resume cookie it sets (as a Cookie header value). */
export async function pageCookie(base: string): Promise<string> {
  const r = await fetch(`${base}/`);
  const set = r.headers.get('set-cookie') ?? '';
  const m = /^(__Host-islet-resume=[^;]+)/.exec(set);
  if (!m) throw new Error(`no resume cookie in ${JSON.stringify(set)}`);
  return m[1]!;
}
