/**
 * A container's attach stream (a hijacked Engine API socket, raw with a TTY) as ISLET's Attachment.
 * Contract: socket errors (EPIPE, ECONNRESET, write after close) only end the attachment; `ended` settles on
 * close or end, at once for a socket already destroyed; `detach` destroys the socket.
 */
import type { Duplex } from 'node:stream';
import type { Attachment } from '../runtime-driver.ts';

export function attachment(sock: Duplex): Attachment {
  // Errors (EPIPE, ECONNRESET, write after close) only end the attachment.
  sock.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => {
    if (sock.destroyed) {
      resolve();
      return;
    }
    sock.once('close', () => resolve());
    sock.once('end', () => resolve());
  });
  return {
    input: sock,
    output: sock,
    ended,
    detach: () => {
      sock.destroy();
    },
  };
}
