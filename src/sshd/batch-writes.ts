/**
 * Coalesces what ssh2 writes to a client's socket within one turn of the event loop into one write.
 *
 * Why: ssh2 hands every SSH packet to `socket.write` on its own, so each packet is a syscall, and on loopback
 * also the receiver's wake-up. A menu screen or a burst of shell output is many packets in one turn: 100
 * warm-pool logins made 4366 socket writes in 1748 turns (2026-12-01, an instrumented `islet serve`), and
 * those writes were the largest item of the server's CPU profile over such a storm.
 *
 * Contract: the bytes and their order are unchanged; whatever is written in a turn leaves at the end of that
 * turn (`process.nextTick`), so nothing waits for a later event; `write()` keeps its return value and
 * callback. ssh2 flow-controls by SSH window, not by the socket's return value, so corking changes no
 * back-pressure.
 */
import type { Socket } from 'node:net';

export function batchWrites(socket: Socket): void {
  const write = socket.write;
  let corked = false;
  const flush = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    if (!corked) {
      corked = true;
      this.cork();
      process.nextTick(flush);
    }
    return (write as (...a: Parameters<Socket['write']>) => boolean).apply(this, args);
  } as Socket['write'];
}
