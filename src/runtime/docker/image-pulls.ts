/**
 * Images on one Docker Engine: whether one is there, and pulling it when it is
 * not (DockerDriver.hasImage / ensureImage).
 *
 * Contract: simultaneous logins to a missing image pull it once, and each gets
 * the pull's progress lines while it waits. A pull holds a mutation slot
 * (engine-slots.ts) and is bounded by pullMs. A failed pull, or one that
 * reports success without the image appearing, is IMAGE_MISSING; a slot that
 * never came stays RUNTIME_UNAVAILABLE (the engine was busy, the image may exist).
 */
import { IsletError } from '../../core/islet-error.ts';
import { type EngineClient, MSG_IMAGE, statusOf } from './engine-client.ts';
import type { EngineSlots } from './engine-slots.ts';
import { readPullProgress, splitReference } from './pull.ts';
import { SemaphoreTimeout } from './semaphore.ts';

/** What an image runs when a container gives no command of its own. */
export interface ImageProgram {
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
}

interface ImageJson {
  readonly Config?: { readonly Entrypoint?: string[] | null; readonly Cmd?: string[] | null } | null;
}

const PROGRAM_TTL_MS = 60_000;

export class ImagePulls {
  readonly #engine: EngineClient;
  readonly #slots: EngineSlots;
  readonly #callMs: number;
  readonly #pullMs: number;
  /** Pulls in flight, by reference. */
  readonly #pulls = new Map<string, { promise: Promise<void>; listeners: Set<(line: string) => void> }>();

  constructor(engine: EngineClient, slots: EngineSlots, o: { callMs: number; pullMs: number }) {
    this.#engine = engine;
    this.#slots = slots;
    this.#callMs = o.callMs;
    this.#pullMs = o.pullMs;
  }

  /** Each image's program (ENTRYPOINT and CMD) as last inspected, and when (performance.now ms). */
  readonly #programs = new Map<string, { program: ImageProgram; at: number }>();

  /** True when the engine has `image` (one image inspect). */
  async exists(image: string): Promise<boolean> {
    try {
      const json = await this.#engine.json<ImageJson>({
        op: 'image-inspect',
        method: 'GET',
        path: `/images/${encodeURIComponent(image)}/json`,
        timeoutMs: this.#callMs,
      });
      this.#programs.set(image, { program: { entrypoint: json.Config?.Entrypoint ?? [], cmd: json.Config?.Cmd ?? [] }, at: performance.now() });
      return true;
    } catch (err) {
      const s = statusOf(err);
      if (s === 404 || s === 400) return false; // 400: not a valid reference
      throw err;
    }
  }

  /**
   * The image's ENTRYPOINT and CMD, from an inspect at most PROGRAM_TTL_MS old (one image inspect otherwise);
   * IMAGE_MISSING when the engine lacks the image. A rebuilt image's new program is seen within that time.
   */
  async program(image: string): Promise<ImageProgram> {
    const known = this.#programs.get(image);
    if (known && performance.now() - known.at < PROGRAM_TTL_MS) return known.program;
    if (!(await this.exists(image))) throw imageMissing(image, new Error('no such image'));
    return this.#programs.get(image)!.program;
  }

  /** Resolves once `image` is on the engine, pulling it (once, whoever asks) when it is not. */
  async ensure(image: string, onProgress?: (line: string) => void): Promise<void> {
    if (await this.exists(image)) return;
    let pull = this.#pulls.get(image);
    if (!pull) {
      const listeners = new Set<(line: string) => void>();
      const promise = this.#pull(image, (line) => {
        for (const l of listeners) l(line);
      }).finally(() => this.#pulls.delete(image));
      pull = { promise, listeners };
      this.#pulls.set(image, pull);
    }
    if (onProgress) pull.listeners.add(onProgress);
    try {
      await pull.promise;
    } finally {
      if (onProgress) pull.listeners.delete(onProgress);
    }
  }

  async #pull(image: string, onProgress: (line: string) => void): Promise<void> {
    const { repo, tag } = splitReference(image);
    try {
      await this.#slots.mutate(
        'pull',
        () =>
          this.#engine.stream({ op: 'pull', method: 'POST', path: '/images/create', query: { fromImage: repo, tag }, timeoutMs: this.#pullMs }, (res) =>
            readPullProgress(res, onProgress),
          ),
        'pull',
      );
    } catch (err) {
      if (err instanceof IsletError && err.cause instanceof SemaphoreTimeout) throw err;
      throw imageMissing(image, err);
    }
    if (!(await this.exists(image))) throw imageMissing(image, new Error('pull reported success but the image is not on the engine'));
  }
}

/** IMAGE_MISSING for `image`, with why in the admin's detail. */
export function imageMissing(image: string, cause: unknown): IsletError {
  const why = cause instanceof IsletError ? cause.message : cause instanceof Error ? cause.message : String(cause);
  return new IsletError('IMAGE_MISSING', MSG_IMAGE, `image ${image} is not on the engine and could not be pulled: ${why}`, { image }, cause);
}
