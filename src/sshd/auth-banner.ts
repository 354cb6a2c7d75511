/**
 * Sends an SSH_MSG_USERAUTH_BANNER (RFC 4252 §5.4) during authentication:
 * the one way SSH lets a server tell a client *why* a login was refused
 * (OpenSSH prints it on stderr, ssh2 clients emit 'banner'). ssh2's server
 * sends a banner only once, before the first request, so this writes the
 * packet with ssh2's own packet writer, the way its Protocol does.
 *
 * Contract: best effort: a connection that is gone, or an ssh2 whose
 * internals moved, gets no banner and no exception.
 */
import { createRequire } from 'node:module';
import type { Connection } from 'ssh2';

const USERAUTH_BANNER = 53;

interface ProtocolInternals {
  _packetRW?: { write: { allocStart: number; alloc(n: number): Buffer; finalize(p: Buffer): Buffer } };
}

const sendPacket = (() => {
  try {
    return (createRequire(import.meta.url)('ssh2/lib/protocol/utils.js') as { sendPacket?: (proto: unknown, packet: Buffer) => void }).sendPacket;
  } catch {
    return undefined;
  }
})();

export function sendAuthBanner(client: Connection, text: string): boolean {
  const proto = (client as unknown as { _protocol?: ProtocolInternals })._protocol;
  const w = proto?._packetRW?.write;
  if (!w || !sendPacket) return false;
  const body = text.endsWith('\r\n') ? text : `${text.replace(/\n?$/, '')}\r\n`;
  const len = Buffer.byteLength(body);
  try {
    let p = w.allocStart;
    const packet = w.alloc(1 + 4 + len + 4);
    packet[p] = USERAUTH_BANNER;
    packet.writeUInt32BE(len, ++p);
    packet.write(body, (p += 4), len, 'utf8');
    packet.writeUInt32BE(0, p + len); // empty language tag
    sendPacket(proto, w.finalize(packet));
    return true;
  } catch {
    return false;
  }
}
