/**
 * The WebSocket Origin check against cross-site WebSocket hijacking: a page
 * of another site can open a WebSocket to the door with the trainee's cookie,
 * so the upgrade is refused unless its Origin is exactly the door's own
 * scheme, host and port (as the browser addressed it: the Host header) or one
 * of the configured `web_origins`. No prefix, suffix or scheme leniency;
 * a request without an Origin (not a browser) is refused too.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, tls: boolean, extra: readonly string[]): boolean {
  if (!origin || !host) return false;
  const o = origin.toLowerCase();
  if (o === `${tls ? 'https' : 'http'}://${host.toLowerCase()}`) return true;
  return extra.some((e) => e.toLowerCase() === o);
}
