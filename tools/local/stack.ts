import { fileURLToPath } from 'node:url';
import type { Env } from '../../shared/config/index.ts';
import { startAzurite, type AzuriteHandle } from '../../test/support/azurite.ts';
import {
  startDevoReceiver,
  testCerts,
  type DevoReceiver,
  type DevoReceiverOptions,
} from '../../test/support/devo-receiver.ts';
import { startO365Simulator, type O365Simulator, type SimulatorOptions } from '../simulator/index.ts';

/** The test CA that signed the simulator's and the receiver's server certificates. */
export const TEST_CA_PATH = fileURLToPath(new URL('../../test/support/certs/ca.pem', import.meta.url));

export interface LocalStack {
  azurite: AzuriteHandle;
  simulator: O365Simulator;
  receiver: DevoReceiver;
  /** The settings that point a collector at this stack, as a user would set them. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface LocalStackOptions {
  simulator?: Omit<SimulatorOptions, 'cert' | 'key'>;
  receiver?: DevoReceiverOptions;
}

/**
 * Everything a collector talks to, on this machine: Azurite for state, the Office 365 simulator over HTTPS and a
 * Devo receiver over mutual TLS. The demo and the integration tests both run on it.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const certs = testCerts();
  const azurite = await startAzurite();
  const simulator = await startO365Simulator({ cert: certs.serverCert, key: certs.serverKey, ...options.simulator });
  const receiver = await startDevoReceiver(options.receiver);
  const env: Record<string, string> = {
    AzureWebJobsStorage: azurite.connectionString,
    O365_TENANT_ID: simulator.tenantId,
    O365_CLIENT_ID: simulator.clientId,
    O365_CLIENT_SECRET: simulator.clientSecret,
    O365_AUTHORITY_HOST: simulator.authorityHost,
    MANAGEMENT_API_URL: simulator.origin,
    MANAGEMENT_API_RESOURCE: simulator.resource,
    MESSAGE_TRACE_API: 'graph',
    MESSAGE_TRACE_URL: simulator.origin,
    MESSAGE_TRACE_RESOURCE: simulator.graphResource,
    DEVO_HOST: 'localhost',
    DEVO_PORT: String(receiver.port),
    DEVO_CERT: certs.clientCert,
    DEVO_KEY: certs.clientKey,
    DEVO_CHAIN: certs.ca,
    NODE_EXTRA_CA_CERTS: TEST_CA_PATH,
  };
  return {
    azurite,
    simulator,
    receiver,
    env,
    async close() {
      await Promise.allSettled([simulator.close(), receiver.close(), azurite.stop()]);
    },
  };
}

/** Settings as the collector reads them: the stack's plus overrides. */
export function stackEnv(stack: LocalStack, overrides: Env = {}): Env {
  return { ...stack.env, ...overrides };
}
