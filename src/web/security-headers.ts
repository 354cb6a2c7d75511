/**
 * Headers on every web door response: a strict Content-Security-Policy (only
 * the door's own scripts, styles and WebSocket; no inline script or style; no
 * framing), no MIME sniffing, no referrer, and HSTS when served over TLS.
 *
 * Contract: the page works under this policy unchanged — xterm.js's own
 * <style> elements are moved into constructed style sheets by the client
 * (public/csp-styles.js), which CSP permits.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(tls: boolean): Record<string, string> {
  return {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
    ...(tls ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}
