import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TRACE_STATUSES } from '../../tools/simulator/index.ts';
import { DAY, HOUR, ManualClock, startSimulator, withSim } from './helpers.ts';

describe('message trace data', () => {
  it('is the same for the same seed and clock, and differs for another seed', async () => {
    const clock = new ManualClock();
    const sims = await Promise.all([1, 1, 2].map((seed) => startSimulator({ now: clock.now, data: { seed } })));
    try {
      const [a, b, c] = sims.map((s) => JSON.stringify(s.expectedMessageTraceRows()));
      assert.equal(a, b);
      assert.notEqual(a, c);
    } finally {
      await Promise.all(sims.map((s) => s.close()));
    }
  });

  it('spreads ~200 messages with 1..5 recipients over the last 3 days by default', () =>
    withSim({}, async (sim, clock) => {
      const rows = sim.expectedMessageTraceRows().map((r) => r.graph);
      const messages = new Map<string, typeof rows>();
      for (const r of rows) messages.set(r.id, [...(messages.get(r.id) ?? []), r]);
      assert.equal(messages.size, 200);
      for (const group of messages.values()) {
        assert.ok(group.length >= 1 && group.length <= 5);
        assert.equal(new Set(group.map((r) => r.messageId)).size, 1);
        assert.equal(new Set(group.map((r) => r.recipientAddress.toLowerCase())).size, group.length);
        assert.equal(new Set(group.map((r) => r.receivedDateTime)).size, 1);
      }
      assert.ok([...messages.values()].some((g) => g.length === 5));
      for (const r of rows) {
        const at = Date.parse(r.receivedDateTime);
        assert.ok(at >= clock.current - 3 * DAY && at < clock.current, r.receivedDateTime);
        assert.ok((TRACE_STATUSES as readonly string[]).includes(r.status) || r.status === 'unknownFutureValue');
        assert.match(r.messageId, /^<[^@>]+@[^>]+>$/);
        assert.ok(Number.isInteger(r.size) && r.size > 0);
      }
      assert.ok(
        rows.every((r) => r.status !== 'expanded' || r.recipientAddress.startsWith('all-staff@')),
        'only the group expands',
      );
    }));

  it('adds generated or described messages while running, and refuses duplicate rows', () =>
    withSim({ messageTrace: { messages: 0 } }, async (sim, clock) => {
      assert.equal(sim.expectedMessageTraceRows().length, 0);
      const generated = sim.addMessages(3);
      assert.equal(generated.length, 3);
      assert.ok(generated.every((m) => m.receivedAt === clock.current && m.recipients.length >= 1));
      const [described] = sim.addMessages([
        {
          receivedAt: clock.current - HOUR,
          senderAddress: 'josé@ejemplo.es',
          subject: 'Résumé – 東京',
          recipients: [
            'adele.vance@contoso.onmicrosoft.com',
            { address: 'x@fabrikam.com', status: 'failed', size: 10 },
          ],
        },
      ]);
      const rows = sim.expectedMessageTraceRows({ from: clock.current - HOUR, to: clock.current - HOUR });
      assert.deepEqual(
        rows.map((r) => [r.graph.id, r.graph.recipientAddress, r.graph.status, r.graph.subject]),
        [
          [described?.id, 'adele.vance@contoso.onmicrosoft.com', 'delivered', 'Résumé – 東京'],
          [described?.id, 'x@fabrikam.com', 'failed', 'Résumé – 東京'],
        ],
      );
      assert.equal(
        rows[0]?.graph.receivedDateTime,
        `${new Date(clock.current - HOUR).toISOString().slice(0, 23)}0000Z`,
      );
      assert.throws(() => sim.addMessages([{ id: described?.id ?? '' }]), /already exists/);
      assert.throws(() => sim.addMessages([{ recipients: ['a@b.c', 'A@b.c'] }]), /appears twice/);
      assert.throws(() => sim.addMessages([{ recipients: [] }]), /at least one recipient/);
    }));

  it('checks message trace options at start', async () => {
    await assert.rejects(startSimulator({ messageTrace: { rwsPageSize: 2001 } }), /rwsPageSize/);
    await assert.rejects(startSimulator({ messageTrace: { lag: { maxMs: 2 * DAY } } }), /lag\.maxMs/);
    await assert.rejects(startSimulator({ messageTrace: { pendingShare: 2 } }), /pendingShare/);
  });
});
