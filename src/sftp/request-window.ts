/**
 * SSH flow control for the SFTP channel. ssh2's SFTP server parses every
 * packet as it arrives and always opens the client's window again, so a
 * client can pipeline requests without end. This holds the window shut
 * while `saturated()` says ISLET has enough queued: ssh2 skips its window
 * adjustment when the channel's push() returns false, and `release()` opens
 * the window once the queue drained. A client can then have at most one
 * window (2 MiB) of requests beyond the queue.
 *
 * Contract: relies on ssh2 1.x internals (push() return value, _waitChanDrain,
 * incoming.window); when they are not there, it does nothing.
 */
import type { SFTPWrapper } from 'ssh2';

/** ssh2's channel window (lib/Channel.js MAX_WINDOW): what the window is opened back up to. */
const MAX_WINDOW = 2 * 1024 * 1024;

interface Internals {
  push?: (data: Buffer | null) => unknown;
  _waitChanDrain?: boolean;
  incoming?: { window: number };
  outgoing?: { id: number; state: string };
  _protocol?: { channelWindowAdjust?(id: number, amount: number): void };
}

export function holdWindow(sftp: SFTPWrapper, saturated: () => boolean): { release(): void } {
  const ch = sftp as unknown as Internals;
  const push = ch.push;
  const usable = typeof push === 'function' && ch.incoming && ch.outgoing && typeof ch._protocol?.channelWindowAdjust === 'function';
  if (!usable) return { release: () => undefined };
  ch.push = (data) => {
    const r = push.call(sftp, data);
    return data !== null && saturated() ? false : r;
  };
  return {
    release: () => {
      if (!ch._waitChanDrain || saturated()) return;
      ch._waitChanDrain = false;
      const inc = ch.incoming!,
        out = ch.outgoing!;
      if (out.state === 'closed' || inc.window > MAX_WINDOW / 2) return;
      const amount = MAX_WINDOW - inc.window;
      inc.window += amount;
      try {
        ch._protocol!.channelWindowAdjust!(out.id, amount);
      } catch {
        /* connection gone */
      }
    },
  };
}
