// Starts the Office 365 simulator for manual runs and demos:
//
//   node tools/simulator/cli.ts [--port 8443] [--host 127.0.0.1] [--cert server.pem --key server.key] [--seed 1]
//                               [--page-size 100] [--blobs-per-type 8] [--require-publisher-identifier]
//                               [--resource https://manage.office.com] [--quiet] [--json]
//
// Without --cert/--key it uses the test certificates in test/support/certs (trust them with
// NODE_EXTRA_CA_CERTS=test/support/certs/ca.pem). Prints the origin and the (simulated) credentials, then one line
// per request unless --quiet. Ctrl-C stops it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startO365Simulator } from './index.ts';

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
  ...(values.quiet
    ? {}
    : {
        onRequest: (e) =>
          console.error(
            `${new Date(e.at).toISOString()} ${e.method} ${e.path} -> ${e.status ?? '-'} [${e.route}${e.fault === undefined ? '' : `, fault ${e.fault}`}${e.route !== 'token' && e.route !== 'metadata' && e.publisherIdentifier === undefined ? ', no PublisherIdentifier' : ''}]`,
          ),
      }),
});

const summary = {
  origin: sim.origin,
  authorityHost: sim.authorityHost,
  tenantId: sim.tenantId,
  clientId: sim.clientId,
  clientSecret: sim.clientSecret,
  scope: sim.scope,
  feedRoot: sim.feedRoot,
  ...(values.cert === undefined ? { caCertificate: `${TEST_CERTS}ca.pem` } : {}),
};
if (values.json) {
  console.log(JSON.stringify(summary));
} else {
  console.log(
    `Office 365 simulator listening on ${sim.origin} (simulated tenant; these credentials work nowhere else)`,
  );
  for (const [name, value] of Object.entries(summary)) console.log(`  ${name.padEnd(14)} ${value}`);
  console.log('Collector settings:');
  console.log(
    `  O365_TENANT_ID=${sim.tenantId} O365_CLIENT_ID=${sim.clientId} O365_CLIENT_SECRET='${sim.clientSecret}' O365_AUTHORITY_HOST=${sim.authorityHost}`,
  );
  if (summary.caCertificate !== undefined) console.log(`  NODE_EXTRA_CA_CERTS=${summary.caCertificate}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sim.close().then(() => process.exit(0));
  });
}
