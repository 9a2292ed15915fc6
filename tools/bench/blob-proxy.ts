import { once } from 'node:events';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Bytes that crossed the proxy, as the storage account would bill them: bodies only, headers not counted. */
export interface BlobTraffic {
  requests: number;
  /** Request bodies (uploads). */
  bytesWritten: number;
  /** Response bodies (downloads, listings). */
  bytesRead: number;
}

export interface BlobProxy {
  /** The blob endpoint to give the collector instead of Azurite's, account path included. */
  endpoint: string;
  /** Traffic so far; subtract two readings for one phase. */
  traffic(): BlobTraffic;
  close(): Promise<void>;
}

export const trafficSince = (now: BlobTraffic, before: BlobTraffic): BlobTraffic => ({
  requests: now.requests - before.requests,
  bytesWritten: now.bytesWritten - before.bytesWritten,
  bytesRead: now.bytesRead - before.bytesRead,
});

/**
 * A counting HTTP proxy in front of Azurite's blob endpoint, so the bench sees what the collector reads and writes
 * without any hook in the product. Azurite's shared-key check signs the path, not the host, so requests pass as sent.
 */
export async function startBlobProxy(blobEndpoint: string): Promise<BlobProxy> {
  const target = new URL(blobEndpoint);
  const counts: BlobTraffic = { requests: 0, bytesWritten: 0, bytesRead: 0 };
  const server = createServer((req, res) => {
    counts.requests += 1;
    req.on('data', (chunk: Buffer) => {
      counts.bytesWritten += chunk.length;
    });
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (reply: IncomingMessage) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.on('data', (chunk: Buffer) => {
          counts.bytesRead += chunk.length;
        });
        reply.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}${target.pathname}`,
    traffic: () => ({ ...counts }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
