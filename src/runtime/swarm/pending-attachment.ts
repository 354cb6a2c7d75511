/**
 * An attachment asked for before the instance has a container (a Swarm service whose task is not placed yet).
 * Input typed meanwhile is buffered; once the driver connects it to the task's container (attached with the
 * engine's log replay, so what the shell printed before is not lost) both directions flow. detach() before
 * that ends it at once and the later connection is dropped.
 */
import { PassThrough, type Duplex } from 'node:stream';
import type { Attachment } from '../runtime-driver.ts';

export class PendingAttachment implements Attachment {
  readonly input = new PassThrough();
  readonly output = new PassThrough();
  readonly ended: Promise<void>;
  #end!: () => void;
  #sock: Duplex | undefined;
  #done = false;

  constructor() {
    this.ended = new Promise<void>((resolve) => {
      this.#end = resolve;
    });
    this.input.on('error', () => undefined);
    this.output.on('error', () => undefined);
  }

  get done(): boolean {
    return this.#done;
  }

  /** Joins the attachment to the container's attach stream (raw TTY: one socket both ways). */
  connect(sock: Duplex): void {
    sock.on('error', () => undefined);
    if (this.#done) {
      sock.destroy();
      return;
    }
    this.#sock = sock;
    this.input.pipe(sock);
    sock.pipe(this.output);
    const finish = (): void => this.#finish();
    sock.once('close', finish);
    sock.once('end', finish);
  }

  /** Ends it because the container never came (the start failed). */
  fail(): void {
    this.#finish();
  }

  detach(): void {
    this.#finish();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#sock?.destroy();
    this.input.unpipe();
    this.output.end();
    this.#end();
  }
}
