// Starts the Office 365 simulator for manual runs and demos:
//
//   node tools/simulator/cli.ts [--port 8443] [--host 127.0.0.1] [--cert server.pem --key server.key] [--seed 1]
//                               [--page-size 100] [--blobs-per-type 8] [--require-publisher-identifier]
//                               [--resource https://manage.office.com] [--graph-resource https://graph.microsoft.com]
//                               [--rws-resource https://outlook.office365.com] [--rws-shape light|verbose]
//                               [--messages 200] [--chaos 0.2 [--chaos-stall-ms 3000] [--fault-seed 1]]
//                               [--quiet] [--json]
//
// Without --cert/--key it uses the test certificates in test/support/certs (trust them with
// NODE_EXTRA_CA_CERTS=test/support/certs/ca.pem). Prints the origin and the (simulated) credentials, then one line
// per request unless --quiet. --chaos RATE disturbs about that share of data requests (see chaosFaults). Ctrl-C
// stops it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chaosFaults, startO365Simulator } from './index.ts';

/** Routes where the collector must send `PublisherIdentifier` (the log line flags it when missing). */
const MANAGEMENT_ROUTES: ReadonlySet<string> = new Set(['list', 'start', 'stop', 'content', 'blob']);

const TEST_CERTS = fileURLToPath(new URL('../../test/support/certs/', import.meta.url));

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8443' },
    host: { type: 'string', default: '127.0.0.1' },
    cert: { type: 'string' },
    key: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'page-size': { type: 'string', default: '100' },
    'blobs-per-type': { type: 'string', default: '8' },
    resource: { type: 'string' },
    'graph-resource': { type: 'string' },
    'rws-resource': { type: 'string' },
    'rws-shape': { type: 'string', default: 'light' },
    messages: { type: 'string', default: '200' },
    chaos: { type: 'string' },
    'chaos-stall-ms': { type: 'string', default: '3000' },
    'fault-seed': { type: 'string' },
    'require-publisher-identifier': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});

/** A whole number option, or exit with a message naming it. */
function whole(name: string, text: string | undefined, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    console.error(`--${name}: expected a whole number >= ${min}, got ${String(text)}`);
    process.exit(2);
  }
  return value;
}

if ((values.cert === undefined) !== (values.key === undefined)) {
  console.error('--cert and --key go together');
  process.exit(2);
}
const rwsShape = values['rws-shape'];
if (rwsShape !== 'light' && rwsShape !== 'verbose') {
  console.error(`--rws-shape: expected light or verbose, got ${rwsShape}`);
  process.exit(2);
}
/** A share within 0..1, or exit with a message naming the option. */
function share(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !(value >= 0 && value <= 1)) {
    console.error(`--${name}: expected a number within 0..1, got ${text}`);
    process.exit(2);
  }
  return value;
}

const chaos =
  values.chaos === undefined
    ? []
    : chaosFaults({
        rate: share('chaos', values.chaos),
        stallMs: whole('chaos-stall-ms', values['chaos-stall-ms'], 0),
      });
const certPath = values.cert ?? `${TEST_CERTS}server.pem`;
const keyPath = values.key ?? `${TEST_CERTS}server.key`;

const sim = await startO365Simulator({
  cert: readFileSync(certPath),
  key: readFileSync(keyPath),
  host: values.host,
  port: whole('port', values.port, 0),
  pageSize: whole('page-size', values['page-size'], 1),
  data: {
    seed: whole('seed', values.seed, 0),
    blobsPerContentType: whole('blobs-per-type', values['blobs-per-type'], 0),
  },
  requirePublisherIdentifier: values['require-publisher-identifier'],
  ...(values.resource === undefined ? {} : { resource: values.resource }),
  ...(values['graph-resource'] === undefined ? {} : { graphResource: values['graph-resource'] }),
  ...(values['rws-resource'] === undefined ? {} : { rwsResource: values['rws-resource'] }),
  messageTrace: { messages: whole('messages', values.messages, 0), rwsShape },
  faults: chaos,
  ...(values['fault-seed'] === undefined ? {} : { faultSeed: whole('fault-seed', values['fault-seed'], 0) }),
  ...(values.quiet
    ? {}
    : {
        onRequest: (e) =>
          console.error(
            `${new Date(e.at).toISOString()} ${e.method} ${e.path} -> ${e.status ?? '-'} [${e.route}${e.fault === undefined ? '' : `, fault ${e.fault}`}${MANAGEMENT_ROUTES.has(e.route) && e.publisherIdentifier === undefined ? ', no PublisherIdentifier' : ''}]`,
          ),
      }),
});

// Handlers go in before anything is printed: a caller may stop the server as soon as it reads the output.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sim.close().then(() => process.exit(0));
  });
}

const summary = {
  origin: sim.origin,
  authorityHost: sim.authorityHost,
  tenantId: sim.tenantId,
  clientId: sim.clientId,
  clientSecret: sim.clientSecret,
  scope: sim.scope,
  feedRoot: sim.feedRoot,
  graphScope: sim.graphScope,
  messageTracesUrl: sim.messageTracesUrl,
  rwsScope: sim.rwsScope,
  rwsMessageTraceUrl: sim.rwsMessageTraceUrl,
  ...(values.cert === undefined ? { caCertificate: `${TEST_CERTS}ca.pem` } : {}),
};
if (values.json) {
  console.log(JSON.stringify(summary));
} else {
  console.log(
    `Office 365 simulator listening on ${sim.origin} (simulated tenant; these credentials work nowhere else)`,
  );
  for (const [name, value] of Object.entries(summary)) console.log(`  ${name.padEnd(18)} ${value}`);
  console.log('Collector settings:');
  console.log(
    `  O365_TENANT_ID=${sim.tenantId} O365_CLIENT_ID=${sim.clientId} O365_CLIENT_SECRET='${sim.clientSecret}' O365_AUTHORITY_HOST=${sim.authorityHost}`,
  );
  console.log(`  MANAGEMENT_API_URL=${sim.origin} MANAGEMENT_API_RESOURCE=${sim.resource}`);
  console.log('Message trace settings (pick one back end):');
  console.log(`  MESSAGE_TRACE_API=graph MESSAGE_TRACE_URL=${sim.origin} MESSAGE_TRACE_RESOURCE=${sim.graphResource}`);
  console.log(`  MESSAGE_TRACE_API=rws MESSAGE_TRACE_URL=${sim.origin} MESSAGE_TRACE_RESOURCE=${sim.rwsResource}`);
  if (summary.caCertificate !== undefined) console.log(`  NODE_EXTRA_CA_CERTS=${summary.caCertificate}`);
}
