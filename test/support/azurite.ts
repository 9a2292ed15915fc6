import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A running in-memory Azurite owned by the current test file. */
export interface AzuriteHandle {
  /** Shared-key connection string for the well-known development account. */
  connectionString: string;
  blobEndpoint: string;
  tableEndpoint: string;
  /** The Azurite process, for measuring what it costs (the bench); undefined if it could not be spawned. */
  pid: number | undefined;
  /** Stops Azurite and waits until the process has exited; safe to call more than once. */
  stop(): Promise<void>;
}

export interface StartAzuriteOptions {
  /** Give up when Azurite has not reported all listeners within this time. */
  startupTimeoutMs?: number;
}

/** The public, documented development account that Azurite accepts by default. */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const HOST = '127.0.0.1';
const SERVICES = ['Blob', 'Queue', 'Table'] as const;
type Service = (typeof SERVICES)[number];

/**
 * Preloaded into the Azurite process: exits when our end of its stdin closes, so Azurite cannot outlive the
 * test process even when that one is killed by a signal (where `exit` handlers do not run).
 */
const WATCHDOG =
  "process.stdin.on('end',()=>process.exit(0));process.stdin.on('error',()=>process.exit(0));process.stdin.resume();";

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at (http:\/\/\S+)/;

/** Path of Azurite's all-in-one entry point, resolved from this project's node_modules. */
function azuriteEntry(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
}

/** Last lines of captured output, for error messages. */
function tail(text: string, lines = 15): string {
  const trimmed = text.trimEnd();
  return trimmed ? trimmed.split('\n').slice(-lines).join('\n') : '(none)';
}

/**
 * Starts Azurite (blob, queue and table on OS-assigned ports, in-memory, telemetry off) with the Node binary
 * running the tests, and resolves once every service reports its listening address. Prints nothing on success.
 */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<AzuriteHandle> {
  const timeoutMs = options.startupTimeoutMs ?? 20_000;
  const args = [
    '--import',
    `data:text/javascript,${encodeURIComponent(WATCHDOG)}`,
    azuriteEntry(),
    '--inMemoryPersistence',
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--silent',
    // Port 0: the OS picks free ports, and Azurite prints the ones it bound.
    ...SERVICES.flatMap((service) => {
      const flag = service.toLowerCase();
      return [`--${flag}Host`, HOST, `--${flag}Port`, '0'];
    }),
  ];
  // In-memory mode should write nothing; a neutral working directory keeps any stray file out of the repo.
  const child = spawn(process.execPath, args, { cwd: tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });

  let output = '';
  const capture = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
  };
  child.stdout.on('data', capture);
  child.stderr.on('data', capture);
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    const done = (): void => {
      exited = true;
      resolve();
    };
    child.once('exit', done);
    // A process that could not be spawned never emits 'exit'.
    child.once('error', () => {
      if (child.pid === undefined) done();
    });
  });
  const killOnExit = (): void => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    if (!exited) {
      // In-memory state has nothing to flush, so there is no reason to wait for a graceful shutdown.
      // The handle was unref'd after startup; without this an idle test process could exit before the child.
      child.ref();
      child.kill('SIGKILL');
      await exitPromise;
    }
    process.removeListener('exit', killOnExit);
  };

  const endpoints = new Map<Service, string>();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        finish(new Error(`Azurite did not start within ${timeoutMs} ms. Output:\n${tail(output)}`));
      }, timeoutMs);
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        child.stdout.removeListener('data', onData);
        child.removeListener('exit', onExit);
        child.removeListener('error', onError);
        if (err) reject(err);
        else resolve();
      };
      let pending = '';
      const onData = (chunk: Buffer): void => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const match = LISTENING.exec(line);
          if (match?.[1] && match[2]) endpoints.set(match[1] as Service, match[2]);
        }
        if (SERVICES.every((s) => endpoints.has(s))) finish();
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        finish(new Error(`Azurite exited during startup (code ${code}, signal ${signal}). Output:\n${tail(output)}`));
      };
      const onError = (err: Error): void => finish(new Error(`Azurite could not be started: ${err.message}`));
      child.stdout.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  } catch (err) {
    await stop();
    throw err;
  }

  // Capture is only needed for startup errors. The streams stay in flowing mode so a chatty Azurite never
  // blocks on a full pipe, and no handle may keep the test process alive.
  child.stdout.removeListener('data', capture);
  child.stderr.removeListener('data', capture);
  output = '';
  child.stdout.resume();
  child.stderr.resume();
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void }).unref?.();
  }

  const account = (service: Service): string => `${endpoints.get(service) ?? ''}/${ACCOUNT}`;
  const blobEndpoint = account('Blob');
  const tableEndpoint = account('Table');
  const connectionString = [
    'DefaultEndpointsProtocol=http',
    `AccountName=${ACCOUNT}`,
    `AccountKey=${ACCOUNT_KEY}`,
    `BlobEndpoint=${blobEndpoint}`,
    `QueueEndpoint=${account('Queue')}`,
    `TableEndpoint=${tableEndpoint}`,
  ].join(';');
  return { connectionString, blobEndpoint, tableEndpoint, pid: child.pid, stop };
}
