import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A state write as the collectors make it, named for what it changes. */
export type StateWrite =
  /** Put Blob of a sealed dedupe state (`<fn>.bloom`). */
  | 'seal'
  /** Put Blob of a previous filter generation (`<fn>.bloom.<seed>.g<n>`). */
  | 'generation'
  /** Append Block to a dedupe journal. */
  | 'append'
  /** Insert, update or merge of a cursor entity. */
  | 'cursor';

export interface StorageProxy {
  /** Azurite's connection string with its blob and table endpoints replaced by the proxy's. */
  connectionString: string;
  /** Every state write forwarded and answered, in order. */
  readonly writes: StateWrite[];
  /** Body bytes of blob downloads answered so far, and body bytes of blob writes sent. */
  readonly blobBytes: { read: number; written: number };
  /**
   * Holds the `occurrence`-th (1-based) write of `kind` instead of forwarding it and calls `onHold`, which kills the
   * writer; the request is then dropped. Writes before it all landed, it and everything after it did not.
   */
  holdAt(kind: StateWrite, occurrence: number, onHold: () => Promise<void>): void;
  /** True once a write was held. */
  readonly held: boolean;
  close(): Promise<void>;
}

/** What a request to the blob or table service writes, if it is a state write. */
function classify(req: IncomingMessage, body: Buffer): StateWrite | undefined {
  const url = new URL(req.url ?? '/', 'http://proxy');
  const path = decodeURIComponent(url.pathname);
  const method = req.method ?? 'GET';
  if (method === 'PUT' && url.searchParams.get('comp') === 'appendblock') return 'append';
  if (method === 'PUT' && url.searchParams.get('comp') === null && req.headers['x-ms-blob-type'] === 'BlockBlob') {
    if (/\.bloom$/.test(path)) return 'seal';
    if (/\.bloom\.[0-9a-f]{8}\.g\d+$/.test(path)) return 'generation';
  }
  const tableWrite = ['PUT', 'POST', 'PATCH', 'MERGE'].includes(method) && !req.headers['x-ms-blob-type'];
  if (tableWrite && (path.includes("PartitionKey='cursor'") || body.includes('"PartitionKey":"cursor"'))) {
    return 'cursor';
  }
  return undefined;
}

/**
 * An HTTP proxy in front of Azurite's blob and table services that names every state write and can stop a writer
 * exactly between two of them: the real services, only with a switch in the wire.
 */
export async function startStorageProxy(connectionString: string): Promise<StorageProxy> {
  const parts = new Map(
    connectionString
      .split(';')
      .filter(Boolean)
      .map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const),
  );
  const writes: StateWrite[] = [];
  const blobBytes = { read: 0, written: 0 };
  const counts = new Map<StateWrite, number>();
  let hold: { kind: StateWrite; occurrence: number; onHold: () => Promise<void> } | undefined;
  let held = false;

  const serve = (target: URL, isBlob: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const kind = classify(req, body);
      if (isBlob && req.method === 'PUT') blobBytes.written += body.byteLength;
      if (kind !== undefined) {
        const n = (counts.get(kind) ?? 0) + 1;
        counts.set(kind, n);
        if (hold !== undefined && !held && hold.kind === kind && hold.occurrence === n) {
          held = true;
          void hold.onHold().finally(() => res.destroy());
          return;
        }
      }
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (answer) => {
          if (kind !== undefined && (answer.statusCode ?? 500) < 300) writes.push(kind);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          if (isBlob && req.method === 'GET') answer.on('data', (d: Buffer) => (blobBytes.read += d.byteLength));
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  };

  const listen = async (target: URL, isBlob: boolean): Promise<{ server: Server; endpoint: string }> => {
    const server = createServer(serve(target, isBlob));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { server, endpoint: `http://127.0.0.1:${port}${target.pathname.replace(/\/$/, '')}` };
  };
  const blob = await listen(new URL(parts.get('BlobEndpoint')!), true);
  const table = await listen(new URL(parts.get('TableEndpoint')!), false);
  parts.set('BlobEndpoint', blob.endpoint);
  parts.set('TableEndpoint', table.endpoint);

  return {
    connectionString: [...parts].map(([k, v]) => `${k}=${v}`).join(';'),
    writes,
    blobBytes,
    holdAt(kind, occurrence, onHold) {
      hold = { kind, occurrence, onHold };
    },
    get held() {
      return held;
    },
    async close() {
      for (const { server } of [blob, table]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}
