/**
 * The dedicated operator listener (`islet serve --metrics HOST:PORT`, env ISLET_METRICS):
 * a plain node:http server with /metrics and /healthz only, separate from the doors so
 * it can sit on a loopback or management address.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { observe, type ObservabilityDeps } from './observability-routes.ts';

export interface MetricsServer {
  readonly addr: AddressInfo;
  close(): Promise<void>;
}

export async function startMetricsServer(d: ObservabilityDeps, host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    observe(d, req.url ?? '/', req.headers.authorization, true).then(
      (r) => {
        if (!r) {
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
          return;
        }
        res.writeHead(r.status, { 'content-type': r.type, ...r.headers }).end(req.method === 'HEAD' ? undefined : r.body);
      },
      () => {
        res.writeHead(500).end();
      },
    );
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    addr: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
