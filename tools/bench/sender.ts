import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  DevoSender,
  TlsResumption,
  buildDevoTarget,
  openDevoConnection,
  resolveDevoOptions,
} from '../../shared/devo/index.ts';
import { testCerts } from '../../test/support/devo-receiver.ts';

export interface SenderBenchOptions {
  /** Lines per mode (default 150 000). */
  lines?: number;
  /** Framed line size in bytes (default 1024). */
  lineBytes?: number;
  /** Per-mode time budget; the run stops early when it is spent (default 3 000 ms). */
  maxMsPerMode?: number;
}

// The sink runs on its own thread so the measurement is not charged with decrypting and counting.
const SINK_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const tls = require('node:tls');
let bytes = 0;
const server = tls.createServer({ ...workerData, requestCert: true, rejectUnauthorized: true, allowHalfOpen: true }, (s) => {
  s.on('data', (c) => { bytes += c.length; });
  s.on('end', () => s.end());
  s.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => {
  if (m === 'bytes') parentPort.postMessage({ bytes });
  if (m === 'close') server.close(() => parentPort.close());
});
`;

interface Sink {
  port: number;
  bytes(): Promise<number>;
  close(): Promise<void>;
}

async function startSink(): Promise<Sink> {
  const c = testCerts();
  const worker = new Worker(SINK_SOURCE, {
    eval: true,
    workerData: { cert: c.serverCert, key: c.serverKey, ca: c.ca },
  });
  const next = (): Promise<Record<string, number>> =>
    new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const { port } = await next();
  return {
    port: port ?? 0,
    bytes: async () => {
      const reply = next();
      worker.postMessage('bytes');
      return (await reply).bytes ?? 0;
    },
    close: async () => {
      worker.postMessage('close');
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}

/** Realistic audit-record bodies (varied ids, repeated field names) padded so a framed line is `lineBytes`. */
function makeMessages(count: number, lineBytes: number, prefixBytes: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const body = JSON.stringify({
      CreationTime: new Date(1_700_000_000_000 + i * 1_000).toISOString(),
      Id: crypto.randomUUID(),
      Operation: i % 3 === 0 ? 'MailItemsAccessed' : 'FileAccessed',
      OrganizationId: '4e1c0b1e-1111-2222-3333-444455556666',
      RecordType: 50,
      UserId: `user${i % 500}@contoso.com`,
      ClientIP: `10.0.${i % 255}.${i % 13}`,
      Workload: 'Exchange',
      MailboxGuid: crypto.randomUUID(),
      Pad: '',
    });
    const pad = Math.max(0, lineBytes - prefixBytes - 1 - Buffer.byteLength(body));
    out.push(body.replace('"Pad":""', `"Pad":"${'x'.repeat(pad)}"`));
  }
  return out;
}

/** Mutual-TLS settings for a sender to the local sink, with the test client certificate. */
function sinkSettings(sink: Sink, compression: 'none' | 'gzip') {
  const c = testCerts();
  return {
    host: '127.0.0.1',
    port: sink.port,
    tls: true,
    cert: c.clientCert,
    key: c.clientKey,
    chain: c.ca,
    compression,
  };
}

/**
 * CPU per Devo connection (open, one line, confirmed close) with a full mutual-TLS handshake against one that
 * resumes the sender's TLS session, alternating in blocks. Process CPU, so it counts the sink's side too.
 */
async function benchHandshakes(sink: Sink, connections = 200): Promise<Record<string, number>> {
  const options = resolveDevoOptions(sinkSettings(sink, 'none'));
  const target = buildDevoTarget(options);
  const line = Buffer.from('<14>Jan  1 00:00:00 bench01 bench.handshake: x\n');
  const cpuMs = { full: 0, resumed: 0 };
  let resumedCount = 0;
  const block = connections / 4;
  for (let round = 0; round < 4; round++) {
    const mode = round % 2 === 0 ? 'full' : 'resumed';
    const resumption = mode === 'resumed' ? new TlsResumption() : undefined;
    const before = process.cpuUsage();
    for (let i = 0; i < block; i++) {
      const conn = await openDevoConnection(target, options, { resumption });
      if (conn.info.resumed) resumedCount++;
      await conn.write(line);
      await conn.confirm();
    }
    const used = process.cpuUsage(before);
    cpuMs[mode] += (used.user + used.system) / 1_000;
  }
  const per = (ms: number): number => Math.round((ms / (connections / 2)) * 1_000) / 1_000;
  return {
    connectionsPerMode: connections / 2,
    resumedConnections: resumedCount,
    fullHandshakeCpuMsPerConnection: per(cpuMs.full),
    resumedCpuMsPerConnection: per(cpuMs.resumed),
  };
}

/** Sends N framed 1 KB lines over mutual TLS (plain, gzip, gzip level 6) to a local sink; returns lines/s per mode. */
export async function benchSender(options: SenderBenchOptions = {}): Promise<Record<string, unknown>> {
  const total = options.lines ?? 150_000;
  const lineBytes = options.lineBytes ?? 1024;
  const budget = options.maxMsPerMode ?? 3_000;
  const tag = 'cloud.office365.management.exchange';
  const hostname = 'bench01';
  const prefixBytes = `<14>Jan  1 00:00:00 ${hostname} ${tag}: `.length;
  const messages = makeMessages(1_000, lineBytes, prefixBytes);
  const sink = await startSink();
  const result: Record<string, unknown> = { lineBytes };
  try {
    // gzip uses the sender's default level (1); gzipLevel6 shows what the Python SDK's level would cost.
    const modes = [
      { name: 'plain', compression: 'none', gzipLevel: 1 },
      { name: 'gzip', compression: 'gzip', gzipLevel: 1 },
      { name: 'gzipLevel6', compression: 'gzip', gzipLevel: 6 },
    ] as const;
    for (const { name, compression, gzipLevel } of modes) {
      const sender = new DevoSender({ ...sinkSettings(sink, compression), gzipLevel, hostname });
      // Warm-up: JIT, TLS context, first connection.
      for (let i = 0; i < 5_000; i++) sender.send(tag, messages[i % messages.length]!);
      await sender.flush();
      const before = await sink.bytes();
      const started = performance.now();
      let sent = 0;
      while (sent < total && performance.now() - started < budget) {
        const end = Math.min(total, sent + 1_000);
        for (; sent < end; sent++) {
          if (!sender.send(tag, messages[sent % messages.length]!)) await sender.ready();
        }
      }
      const sendLoopMs = performance.now() - started;
      await sender.flush();
      const ms = performance.now() - started;
      const received = (await sink.bytes()) - before;
      const stats = sender.stats();
      await sender.close();
      result[name] = {
        lines: sent,
        linesPerSec: Math.round((sent / ms) * 1_000),
        mbPerSec: Math.round((sent * lineBytes) / ms / 100) / 10,
        sendLoopLinesPerSec: Math.round((sent / sendLoopMs) * 1_000),
        totalMs: Math.round(ms),
        wireBytes: received,
        compressMs: stats.compressMs,
        gzipMembers: stats.gzipMembers,
      };
    }
    result.handshakes = await benchHandshakes(sink);
  } finally {
    await sink.close();
  }
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchSender(), null, 2));
}
