import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { TRUNCATION_MARKER } from '../../shared/devo/event-cap.ts';
import { DEVO_CHECK_TAG } from '../../shared/devo/index.ts';
import { startDevoReceiver, testCerts, type DevoReceiver } from '../support/devo-receiver.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** `npm run devo-check` as an operator runs it: settings from the environment only, output and exit code. */
function devoCheck(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['tools/devo-check.ts'], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

describe('npm run devo-check', () => {
  let receiver: DevoReceiver;
  before(async () => {
    receiver = await startDevoReceiver();
  });
  after(() => receiver.close());

  it('delivers with a PKCS#12 bundle and reports the oversized event it cut to the cap', async () => {
    const certs = testCerts();
    const { code, output } = await devoCheck({
      DEVO_HOST: receiver.host,
      DEVO_PORT: String(receiver.port),
      DEVO_PFX: certs.clientPfx,
      DEVO_PFX_PASSPHRASE: certs.clientPfxPassphrase,
      DEVO_CHAIN: certs.ca,
      DEVO_MAX_EVENT_BYTES: '4096',
    });
    assert.equal(code, 0, output);
    assert.match(output, /PKCS#12/);
    assert.match(output, /4096/);
    assert.match(output, /^Success/m);
    assert.ok(!output.includes(certs.clientPfx.slice(0, 40)), 'the bundle is never printed');
    assert.ok(!output.includes(certs.clientPfxPassphrase), 'nor its passphrase');
    const lines = receiver.byTag.get(DEVO_CHECK_TAG) ?? [];
    assert.equal(lines.length, 2, 'the test event and the oversized one');
    assert.ok(lines[1]?.message.endsWith(TRUNCATION_MARKER));
    assert.equal((lines[1]?.raw.length ?? 0) + 1, 4096);
  });

  it('exits 2 and names the setting when the passphrase is wrong', async () => {
    const certs = testCerts();
    const { code, output } = await devoCheck({
      DEVO_HOST: receiver.host,
      DEVO_PORT: String(receiver.port),
      DEVO_PFX: certs.clientPfx,
      DEVO_PFX_PASSPHRASE: 'not-the-passphrase',
      DEVO_CHAIN: certs.ca,
    });
    assert.equal(code, 2, output);
    assert.match(output, /DEVO_PFX_PASSPHRASE/);
    assert.ok(!output.includes('not-the-passphrase'));
  });
});
