// The page's side of the web door protocol (docs/web.md, src/web/protocol.ts): a WebSocket that
// survives blips. Output frames are numbered by byte offset; the page acknowledges what xterm has
// written, and after a drop reconnects by itself and resumes from the last offset it received.
export const PROTOCOL_VERSION = 1;
const MAX_FRAME = 60 * 1024;
const PAUSE_ABOVE = 256 * 1024;
const RESUME_BELOW = 64 * 1024;
const ACK_EVERY = 16 * 1024;
const QUEUE_MAX = 64 * 1024;

export class Connection {
  /** @param {{ login?: string, size: () => {cols:number, rows:number}, write: (data: Uint8Array, done: () => void) => void, status: (s: string, detail?: string) => void, notice: (text: string) => void, watch?: (m: {watchers: string[], asking?: string, typing?: string}) => void }} o */
  constructor(o) {
    this.o = o;
    this.saved = JSON.parse(sessionStorage.getItem('islet.session') || 'null');
    if (this.saved && this.saved.login !== (o.login ?? null)) this.saved = null;
    this.received = 0;
    this.processed = 0;
    this.acked = 0;
    this.paused = false;
    this.ended = false;
    this.live = false;
    this.queue = [];
    this.queued = 0;
    this.retry = 0;
    this.ackTimer = undefined;
    /** A page loaded with a saved session (a reload) resumes from 0; output up to replayTo is a replay. */
    this.reloaded = !!this.saved;
    this.replayTo = 0;
  }

  /** Adopts the socket boot.js opened early (its hello sent or to be sent with `size`), else connects. */
  start() {
    const early = globalThis.isletEarlySocket;
    globalThis.isletEarlySocket = null;
    if (early && !early.closed && !this.saved && early.login === this.o.login) {
      early.size = this.o.size;
      this.#connect(early);
      return;
    }
    early?.ws.close();
    this.#connect();
  }

  /** `early`: boot.js's socket, whose hello is boot.js's, and the messages it received before the page ran. */
  #connect(early) {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const ws = early?.ws ?? new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.live = false;
    this.o.status(this.saved ? 'reconnecting' : 'connecting');
    if (!early)
      ws.onopen = () => {
        performance.mark('islet:open');
        const { cols, rows } = this.o.size();
        const hello = { t: 'hello', v: PROTOCOL_VERSION, cols, rows };
        if (this.o.login) hello.login = this.o.login;
        if (this.saved) hello.resume = { id: this.saved.id, seq: this.received };
        ws.send(JSON.stringify(hello));
      };
    ws.onmessage = (ev) => (typeof ev.data === 'string' ? this.#control(JSON.parse(ev.data)) : this.#output(ev.data));
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.live = false;
      if (this.ended) return;
      if (!this.saved) {
        this.o.status('closed', 'Disconnected.');
        return;
      }
      // A blip: come back by ourselves, a little later each time (the server keeps the session for a while).
      const delay = Math.min(5000, 250 * 2 ** this.retry++);
      this.o.status('reconnecting');
      setTimeout(() => this.#connect(), delay);
    };
    if (early) for (const ev of early.messages) ws.onmessage(ev);
  }

  #control(m) {
    switch (m.t) {
      case 'session':
        this.reloaded = false;
        this.received = 0;
        this.processed = 0;
        this.acked = 0;
        this.saved = m.resumable ? { id: m.id, login: this.o.login ?? null } : null;
        this.#save();
        this.retry = 0;
        this.live = true;
        this.o.status('live');
        this.#flushQueue();
        return;
      case 'resumed':
        // A reload gets the session's output again from the start: xterm answers the terminal queries in it
        // (cursor position, device attributes) as it parses, but the shell had its answers long ago.
        if (this.reloaded && this.received === 0) this.replayTo = m.end ?? 0;
        this.reloaded = false;
        this.retry = 0;
        this.live = true;
        this.o.status('live');
        this.#flushQueue();
        return;
      case 'exit':
        this.ended = true;
        this.saved = null;
        this.#save();
        this.o.status('ended', 'Session ended. Reload the page to start again.');
        return;
      case 'watch':
        this.o.watch?.(m); // an instructor watching, asking to type or typing: the help bar (help-bar.js)
        return;
      case 'replaced':
        this.ended = true;
        this.o.status('ended', 'This session continues in another window.');
        return;
      case 'error':
        if (m.code === 'WEB_RESUME_REFUSED') {
          this.saved = null;
          this.#save();
          this.received = 0;
          this.o.notice('\r\n[ISLET] The previous session could not be resumed; starting a new one.\r\n');
          setTimeout(() => this.#connect(), 0);
          return;
        }
        this.ended = true;
        this.o.status('ended', m.message);
        return;
    }
  }

  #output(buf) {
    if (!this.received) performance.mark('islet:first-output');
    const view = new DataView(buf);
    const seq = Number(view.getBigUint64(0));
    let data = new Uint8Array(buf, 8);
    if (seq + data.length <= this.received) return; // already have it
    if (seq > this.received) {
      this.ws?.close();
      return;
    } // a gap: reconnect and resume from what we have
    data = data.subarray(this.received - seq);
    this.received += data.length;
    this.o.write(data, () => {
      this.processed += data.length;
      this.#ackSoon();
      this.#flow();
    });
    this.#flow();
  }

  #flow() {
    const pending = this.received - this.processed;
    if (!this.paused && pending > PAUSE_ABOVE) {
      this.paused = true;
      this.#send({ t: 'pause' });
    } else if (this.paused && pending < RESUME_BELOW) {
      this.paused = false;
      this.#send({ t: 'resume' });
    }
  }

  #ackSoon() {
    if (this.processed - this.acked >= ACK_EVERY) {
      this.#ack();
      return;
    }
    if (!this.ackTimer) this.ackTimer = setTimeout(() => this.#ack(), 100);
  }

  #ack() {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.processed === this.acked || this.ws?.readyState !== 1) return;
    this.acked = this.processed;
    this.#send({ t: 'ack', seq: this.acked });
  }

  #save() {
    if (this.saved) sessionStorage.setItem('islet.session', JSON.stringify(this.saved));
    else sessionStorage.removeItem('islet.session');
  }
  #send(m) {
    if (this.ws?.readyState === 1) this.ws.send(JSON.stringify(m));
  }

  /** Keys typed or pasted; kept (up to QUEUE_MAX) while reconnecting. */
  input(bytes) {
    if (this.processed < this.replayTo) return; // xterm answering a query in the replay
    for (let i = 0; i < bytes.length; i += MAX_FRAME) {
      const part = bytes.subarray(i, i + MAX_FRAME);
      if (this.ws?.readyState === 1 && this.queue.length === 0 && this.live) this.ws.send(part);
      else if (this.queued + part.length <= QUEUE_MAX) {
        this.queue.push(part);
        this.queued += part.length;
      }
    }
  }

  #flushQueue() {
    const q = this.queue;
    this.queue = [];
    this.queued = 0;
    for (const part of q) this.ws.send(part);
  }

  resize(cols, rows) {
    this.#send({ t: 'resize', cols, rows });
  }
  /** The trainee's help-bar button: 'allow', 'refuse' (an ask to type) or 'end' (every watch). */
  watchAnswer(answer) {
    this.#send({ t: 'watch-answer', answer });
  }
  bye() {
    this.ended = true;
    this.#send({ t: 'bye' });
  }
  /** For tests: drops the socket as a network blip would. */
  blip() {
    this.ws?.close();
  }
}
