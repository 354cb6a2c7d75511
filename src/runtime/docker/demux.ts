/**
 * Splits the engine's multiplexed stream (a non-TTY attach or exec) into
 * stdout and stderr. Frame: 1 byte stream type (1 stdout, 2 stderr), 3 zero
 * bytes, 4 bytes big-endian payload length, then the payload.
 */
import { PassThrough, type Readable } from 'node:stream';

export function demux(source: Readable): { stdout: PassThrough; stderr: PassThrough } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let buf: Buffer = Buffer.alloc(0);
  // Targets the source waits on: one 'drain' listener per target, however many writes of a chunk's frames
  // return false (one per frame leaked listeners: MaxListenersExceededWarning on a 300 MB exec).
  const waiting = new Set<PassThrough>();
  source.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 8) {
      const len = buf.readUInt32BE(4);
      if (buf.length < 8 + len) break;
      const payload = buf.subarray(8, 8 + len);
      const target = buf[0] === 2 ? stderr : stdout;
      // Back-pressure: stop reading from the engine while a consumer is behind.
      if (!target.write(payload) && !waiting.has(target)) {
        waiting.add(target);
        source.pause();
        target.once('drain', () => {
          waiting.delete(target);
          source.resume();
        });
      }
      buf = buf.subarray(8 + len);
    }
  });
  const end = () => {
    stdout.end();
    stderr.end();
  };
  source.once('end', end);
  source.once('close', end);
  source.once('error', end);
  return { stdout, stderr };
}
