import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONTENT_TYPES } from '../../tools/simulator/index.ts';
import { startLocalStack, type LocalStack } from '../../tools/local/stack.ts';
import { trustTestCa } from '../support/tls.ts';
import { assertDelivered, publish, recordingLogger, runAllManagement, testEnv } from './helpers.ts';

describe('Management collector end to end: simulator → Azurite → mTLS receiver', () => {
  let stack: LocalStack;

  before(async () => {
    trustTestCa();
    stack = await startLocalStack();
  });
  after(() => stack.close());

  it('delivers every unique record of every content type once, byte for byte, across repeated runs', async (t) => {
    const logger = recordingLogger();
    await runAllManagement(testEnv(stack), logger);
    const count = assertDelivered(stack, CONTENT_TYPES);
    t.diagnostic(`${count} unique records, ${stack.receiver.lines.length} lines received`);
    assert.ok(count > 100, 'the simulator served a realistic amount of data');
    assert.ok(
      logger.lines.some((l) =>
        /statistics: requests made: \d+; events received: \d+; duplicates filtered: [1-9]/.test(l),
      ),
    );

    await runAllManagement(testEnv(stack));
    assertDelivered(stack, CONTENT_TYPES);
    assert.equal(stack.simulator.log.missingPublisherIdentifier, 0, 'every request carried PublisherIdentifier');
  });

  it('picks up content published after the last run, and only that', async () => {
    const before = stack.receiver.lines.length;
    await publish(stack, 'Audit.Exchange', 5);
    await runAllManagement(testEnv(stack));
    assert.equal(stack.receiver.lines.length, before + 5);
    assertDelivered(stack, CONTENT_TYPES);
  });
});
