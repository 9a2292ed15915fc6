import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { TEST_CA_PATH } from '../../tools/local/stack.ts';

let trusted = false;

/**
 * Adds the test CA to this process's default trust store, as NODE_EXTRA_CA_CERTS does for a child process, so
 * in-process collectors reach the HTTPS simulator with certificate verification on.
 */
export function trustTestCa(): void {
  if (trusted) return;
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), readFileSync(TEST_CA_PATH, 'utf8')]);
  trusted = true;
}
