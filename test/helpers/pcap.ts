/**
 * Writes a small classic pcap (Ethernet, IPv4, UDP) with Node alone, so
 * catalogue tests need no downloaded capture. Payloads are chosen by the test.
 */
import { writeFileSync } from 'node:fs';

export interface UdpPacket {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly payload: string;
}

export function pcapBytes(packets: readonly UdpPacket[], startSeconds = 1_700_000_000): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const parts: Buffer[] = [header];
  packets.forEach((p, i) => {
    const frame = udpFrame(p);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(startSeconds + i, 0);
    rec.writeUInt32LE(0, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  });
  return Buffer.concat(parts);
}

export function writePcap(path: string, packets: readonly UdpPacket[]): void {
  writeFileSync(path, pcapBytes(packets));
}

function udpFrame(p: UdpPacket): Buffer {
  const payload = Buffer.from(p.payload);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(p.sport, 0);
  udp.writeUInt16BE(p.dport, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  const ip = Buffer.alloc(20);
  ip.writeUInt8(0x45, 0);
  ip.writeUInt16BE(20 + 8 + payload.length, 2);
  ip.writeUInt16BE(1, 4);
  ip.writeUInt8(64, 8);
  ip.writeUInt8(17, 9);
  Buffer.from(p.src.split('.').map(Number)).copy(ip, 12);
  Buffer.from(p.dst.split('.').map(Number)).copy(ip, 16);
  ip.writeUInt16BE(checksum(ip), 10);
  const eth = Buffer.from([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
  return Buffer.concat([eth, ip, udp, payload]);
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += b.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
