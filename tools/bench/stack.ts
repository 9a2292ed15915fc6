import type { Env } from '../../shared/config/index.ts';
import { MANAGEMENT_FUNCTIONS } from '../../shared/management/content-types.ts';
import { testCerts } from '../../test/support/devo-receiver.ts';
import { startLocalStack, type LocalStack } from '../local/stack.ts';
import type { AuditRecord, ContentType } from '../simulator/index.ts';
import { startBlobProxy, type BlobProxy } from './blob-proxy.ts';
import type { PipeOptions } from './pipe.ts';
import { startCountingReceiver } from './receiver.ts';

export const CONTENT_TYPE: ContentType = 'Audit.Exchange';
const TAG = 'cloud.office365.management.exchange';
const DAY = 86_400_000;

export interface BenchStack {
  stack: LocalStack;
  proxy: BlobProxy;
  functionName: string;
  /** A function whose feed stays empty: the product's worker is started with it (see child.ts). */
  warmUpFunctionName: string;
  /** The collector's settings: the local stack's, with the blob endpoint behind the counting proxy. */
  env: Env;
  /** The raw pipe's settings, against the same simulator and receiver. */
  pipe(): PipeOptions;
  /** Lines the receiver accepted so far, and how many of them were not Devo syslog lines. */
  lines(): Promise<{ total: number; invalid: number }>;
  close(): Promise<void>;
}

/**
 * Distinct records (each its own `Id`) built from a small pool of generated ones: generating every record would take
 * longer than the runs it feeds. The texts stay realistic in shape and size.
 */
function feedRecords(stack: LocalStack, count: number, around: number): AuditRecord[] {
  const pool = stack.simulator.generateRecords(CONTENT_TYPE, Math.min(count, 500), around);
  return Array.from({ length: count }, (_, i) => ({
    ...(pool[i % pool.length] as AuditRecord),
    Id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
  }));
}

/**
 * The local stack with one unthrottled feed: `records` records of one content type in `blobs` blobs spread over the
 * last 7 days (what a first run catches up), no duplicates, no faults.
 */
export async function startBenchStack(records: number, blobs: number): Promise<BenchStack> {
  // The stack's own receiver stays idle: the collector and the pipe both send to the one on its own thread.
  const stack = await startLocalStack({ simulator: { data: { blobsPerContentType: 0 } } });
  const receiver = await startCountingReceiver();
  const proxy = await startBlobProxy(stack.azurite.blobEndpoint);

  const now = Date.now();
  const first = now - 7 * DAY + 2 * 3_600_000;
  const last = now - 5 * 60_000;
  const all = feedRecords(stack, records, first);
  for (let b = 0; b < blobs; b++) {
    const from = Math.floor((records * b) / blobs);
    const to = Math.floor((records * (b + 1)) / blobs);
    if (to === from) continue;
    const created = Math.floor(first + ((last - first) * b) / Math.max(1, blobs - 1));
    stack.simulator.addBlob(CONTENT_TYPE, all.slice(from, to), created);
  }

  const fn = MANAGEMENT_FUNCTIONS.find((f) => f.contentType === CONTENT_TYPE);
  const idle = MANAGEMENT_FUNCTIONS.find((f) => f.contentType !== CONTENT_TYPE);
  if (fn === undefined || idle === undefined) throw new Error(`no function collects ${CONTENT_TYPE}`);
  const connection = stack.env.AzureWebJobsStorage ?? '';
  const env: Env = {
    ...stack.env,
    AzureWebJobsStorage: connection.replace(/BlobEndpoint=[^;]*/, `BlobEndpoint=${proxy.endpoint}`),
    DEVO_PORT: String(receiver.port),
  };
  const sim = stack.simulator;
  const certs = testCerts();
  return {
    stack,
    proxy,
    functionName: fn.functionName,
    warmUpFunctionName: idle.functionName,
    env,
    pipe: () => ({
      origin: sim.origin,
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
      resource: sim.resource,
      contentType: CONTENT_TYPE,
      // As the collector's first run: 7 days back (less a minute, so the simulator's age limit holds) up to now.
      startMs: Date.now() - 7 * DAY + 60_000,
      endMs: Date.now(),
      concurrency: 8,
      devo: {
        host: 'localhost',
        port: receiver.port,
        cert: certs.clientCert,
        key: certs.clientKey,
        ca: certs.ca,
        tag: TAG,
      },
    }),
    lines: () => receiver.lines(),
    close: async () => {
      await receiver.close();
      await proxy.close();
      await stack.close();
    },
  };
}
