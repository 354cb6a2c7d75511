/**
 * A thin, time-bounded client for the Docker Engine API, on top of
 * docker-modem (the transport inside dockerode).
 *
 * Every call is bounded by its own timer: when it fires, the request is
 * aborted (AbortSignal) and the call rejects with RUNTIME_UNAVAILABLE. We do
 * NOT use docker-modem's `timeout` option: it is an idle-socket timeout
 * (`req.setTimeout`), not a bound on the whole call, and it is per client,
 * while `stop` and `pull` need longer limits than `inspect`. (It does not cut
 * a hijacked attach stream on Node 24 — Node drops the request's timeout
 * listener on upgrade — but the socket keeps its idle timer; we clear it.)
 *
 * Errors: a timeout, or a transport failure (socket missing, refused, reset)
 * → RUNTIME_UNAVAILABLE; an HTTP error status → RUNTIME_FAILED with
 * `detail.statusCode` and the engine's message in `detail.engineMessage`.
 */
import Docker from 'dockerode';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { IsletError } from '../../core/islet-error.ts';
import { endpointName, type EngineEndpoint } from './engine-address.ts';

export const MSG_BUSY = 'The training environment service is busy; please try again in a moment.';
export const MSG_FAILED = 'The training environment could not be prepared. Please try again or tell the instructor.';
export const MSG_IMAGE = "Image not found, trying Docker Hub... failed: this environment's image is not available. Please tell the instructor.";

export type Query = Readonly<Record<string, string | number | boolean | object | undefined>>;

export interface EngineRequest {
  /** Short name of the operation, for logs (`create`, `inspect`, ...). */
  readonly op: string;
  readonly method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  /** Path without query string, e.g. `/containers/abc/json`. */
  readonly path: string;
  readonly query?: Query;
  /** JSON body (POST only). */
  readonly body?: object;
  /** Raw body (a tar archive for PUT .../archive). */
  readonly file?: Buffer;
  readonly timeoutMs: number;
}

export interface EngineClientOptions {
  /** Unix socket of the engine; unset: docker-modem's default (DOCKER_HOST, else /var/run/docker.sock). */
  readonly socketPath?: string | undefined;
  /** Where the engine is (engine-address.ts: a socket, or TCP with TLS); wins over socketPath. */
  readonly endpoint?: EngineEndpoint | undefined;
}

type Dial = Docker['modem']['dial'];
type DialOptions = Parameters<Dial>[0];

/** Every 2xx is success; anything else becomes an error carrying statusCode. */
const SUCCESS = { 200: true, 201: true, 204: true } as const;

export class EngineClient {
  readonly #modem: Docker['modem'];
  readonly where: string;

  constructor(opts: EngineClientOptions = {}) {
    const endpoint = opts.endpoint ?? (opts.socketPath === undefined ? undefined : { socketPath: opts.socketPath });
    const docker = endpoint === undefined ? new Docker() : new Docker({ ...endpoint });
    this.#modem = docker.modem;
    this.where = endpointName(endpoint);
  }

  /** A request whose response body is JSON (or empty). */
  json<T>(req: EngineRequest): Promise<T> {
    return this.#bounded(req, (signal, done) => {
      this.#modem.dial(this.#dialOptions(req, signal, {}), (err, data) => done(err, data as T));
    });
  }

  /** A request whose response is a stream (pull progress); the timer covers the whole stream until the callback settles. */
  stream<T>(req: EngineRequest, consume: (res: IncomingMessage) => Promise<T>): Promise<T> {
    return this.#bounded(req, (signal, done) => {
      this.#modem.dial(this.#dialOptions(req, signal, { isStream: true }), (err, res) => {
        if (err) {
          done(err, undefined as T);
          return;
        }
        const msg = res as IncomingMessage;
        signal.addEventListener('abort', () => msg.destroy(), { once: true });
        consume(msg).then(
          (v) => done(null, v),
          (e: unknown) => done(e, undefined as T),
        );
      });
    });
  }

  /**
   * An HTTP upgrade (attach): the timer covers only the handshake. The returned
   * socket has no timeout at all, so a trainee's shell may sit idle for hours.
   */
  hijack(req: EngineRequest): Promise<Duplex> {
    return this.#bounded(req, (signal, done) => {
      // docker-modem never ends a hijack request, so Node sends the headers only
      // with the first body byte: send `{}` (as dockerode's own attach does;
      // the engine ignores the body of an attach).
      this.#modem.dial(this.#dialOptions(req, signal, { isStream: true, hijack: true, openStdin: true, allowEmpty: true }), (err, sock) => {
        const s = sock as Duplex | undefined;
        if (!err && s) {
          (s as Partial<Socket>).setTimeout?.(0);
          (s as Partial<Socket>).setNoDelay?.(true);
        }
        // Too late (timer fired): nobody will ever read this socket.
        if (!err && s && signal.aborted) {
          s.destroy();
          return;
        }
        done(err, s as Duplex);
      });
    });
  }

  #dialOptions(req: EngineRequest, signal: AbortSignal, extra: Partial<DialOptions>): DialOptions {
    // `_query`/`_body` keep query and body apart (docker-modem otherwise puts
    // the whole options object in both). An empty `_body` sends no body at all.
    const query = Object.fromEntries(Object.entries(req.query ?? {}).filter(([, v]) => v !== undefined));
    return {
      path: `${req.path}?`,
      method: req.method,
      options: { _query: query, _body: req.body ?? {} },
      ...(req.file ? { file: req.file } : {}),
      statusCodes: SUCCESS,
      abortSignal: signal,
      ...extra,
    };
  }

  /** Runs one dial under a timer; settles exactly once. */
  #bounded<T>(req: EngineRequest, run: (signal: AbortSignal, done: (err: unknown, value: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const ac = new AbortController();
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        ac.abort();
        reject(
          new IsletError('RUNTIME_UNAVAILABLE', MSG_BUSY, `Docker engine did not answer ${req.op} within ${req.timeoutMs} ms (${this.where})`, {
            op: req.op,
            timeoutMs: req.timeoutMs,
            engine: this.where,
          }),
        );
      }, req.timeoutMs);
      try {
        run(ac.signal, (err, value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (err) reject(this.#mapError(req, err));
          else resolve(value);
        });
      } catch (err) {
        settled = true;
        clearTimeout(timer);
        reject(this.#mapError(req, err));
      }
    });
  }

  #mapError(req: EngineRequest, err: unknown): IsletError {
    if (err instanceof IsletError) return err;
    const e = err as { statusCode?: unknown; code?: unknown; message?: unknown; json?: unknown };
    if (typeof e.statusCode === 'number') {
      const engineMessage = engineText(e.json) ?? String(e.message ?? '');
      return new IsletError(
        'RUNTIME_FAILED',
        MSG_FAILED,
        `Docker engine refused ${req.op}: HTTP ${e.statusCode} ${engineMessage}`.trim(),
        { op: req.op, statusCode: e.statusCode, engineMessage, engine: this.where },
        err,
      );
    }
    const code = typeof e.code === 'string' ? e.code : undefined;
    return new IsletError(
      'RUNTIME_UNAVAILABLE',
      MSG_BUSY,
      `Docker engine unreachable during ${req.op}: ${String(e.message ?? err)}`,
      { op: req.op, errno: code, engine: this.where },
      err,
    );
  }
}

/** The `message` of an engine error body, when there is one. */
function engineText(json: unknown): string | undefined {
  if (json && typeof json === 'object' && !Buffer.isBuffer(json) && typeof (json as { message?: unknown }).message === 'string')
    return (json as { message: string }).message;
  if (typeof json === 'string' && json.length > 0) return json;
  if (Buffer.isBuffer(json) && json.length > 0) return json.toString('utf8').trim();
  return undefined;
}

/** The HTTP status of an engine refusal, if `err` is one. */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof IsletError && err.code === 'RUNTIME_FAILED' && typeof err.detail.statusCode === 'number') return err.detail.statusCode;
  return undefined;
}
