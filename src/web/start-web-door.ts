/**
 * Starts the web door beside SSH (called by the composition root, main.ts):
 * reads the TLS files the config names, warns when the door serves plain
 * HTTP beyond loopback, and listens.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { WebDoor, type WebDoorOptions } from './web-server.ts';

export async function startWebDoor(o: Omit<WebDoorOptions, 'tls'>, host: string, port: number): Promise<{ door: WebDoor; addr: AddressInfo }> {
  const g = o.config.current().global;
  const tls = g.web_tls_cert && g.web_tls_key ? { cert: readFileSync(g.web_tls_cert), key: readFileSync(g.web_tls_key) } : undefined;
  const door = new WebDoor({ ...o, ...(tls ? { tls } : {}) });
  const addr = await door.listen(host, port);
  const url = `${tls ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/`;
  if (!tls && !/^(127\.|::1$|localhost$)/.test(host)) {
    o.log.warn(
      { event: 'web_no_tls', code: 'WEB_NO_TLS', host, port: addr.port },
      'the web door serves plain HTTP beyond this machine: passwords cross the network unencrypted and the page cannot resume sessions (its Secure cookie needs HTTPS); set web_tls_cert and web_tls_key',
    );
  }
  o.log.info({ event: 'web_listening', host: addr.address, port: addr.port, tls: !!tls, url }, `ISLET web door on ${url}`);
  return { door, addr };
}
