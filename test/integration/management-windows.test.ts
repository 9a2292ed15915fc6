/** Listing windows against the simulator: what a catch-up costs in list calls, and where a killed run resumes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiTime } from '../../shared/management/client.ts';
import { CURSOR_VERSION, type ManagementCursor } from '../../shared/management/cursor.ts';
import { invokeManagementFunction } from '../../shared/management/invoke.ts';
import type { LocalStack } from '../../tools/local/stack.ts';
import { assertDelivered, recordingLogger, testEnv, withStack } from './helpers.ts';
import { assertResumedExactly, collectProcess, killed, type Kill } from './kill.ts';
import { expireLockOf, stateOf } from './state.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const wholeSecond = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();

const listings = (stack: LocalStack) =>
  stack.simulator.log.requests('content').filter((r) => r.contentType === 'Audit.General');

/** A listing's parameter: next-page links name them in lower case, as the service does. */
const param = (query: Record<string, string>, name: string): string | undefined =>
  query[name] ?? query[name.toLowerCase()];

/** The span a listing asked for, in ms. */
const spanOf = (query: Record<string, string>): number =>
  Date.parse(`${param(query, 'endTime') ?? ''}Z`) - Date.parse(`${param(query, 'startTime') ?? ''}Z`);

const loadCursor = async (stack: LocalStack): Promise<ManagementCursor | undefined> =>
  (await (await stateOf(stack)).cursors.load<ManagementCursor>('auditGeneral', { currentVersion: CURSOR_VERSION }))
    ?.value;

describe('Management listing windows', () => {
  it('catches up 7 days of one content type in at most 14 list calls, pages included', async (t) => {
    // About 170 blobs a day over the whole 7 days the API keeps: two pages a window at the default 100 per page,
    // so the seven 24-hour windows take all 14 calls. The first blob is slow, so the run surely outlasts a second:
    // the time it took must not become one more window.
    const data = { spanMs: 7 * DAY - HOUR, blobsPerContentType: { 'Audit.General': 1200 } };
    await withStack({ simulator: { data } }, async (stack) => {
      stack.simulator.faults.add({ match: { route: 'blob' }, kind: 'delay-headers', delayMs: 1500, times: 1 });
      const started = Date.now();
      await invokeManagementFunction('auditGeneral', testEnv(stack), recordingLogger());
      const calls = listings(stack);
      t.diagnostic(`${calls.length} list calls for a 7-day catch-up of Audit.General`);
      assert.ok(calls.length <= 14, `${calls.length} list calls`);
      assert.ok(
        calls.every((c) => c.status === 200 && spanOf(c.query) <= DAY),
        'every listing was one the API serves',
      );
      const ends = calls.map((c) => Date.parse(`${param(c.query, 'endTime') ?? ''}Z`));
      assert.ok(
        ends.every((end) => end <= started + 1000),
        'nothing created after the run began was listed',
      );
      assertDelivered(stack, ['Audit.General'], 'exactly-once', 'ignore');
    });
  });

  it('keeps the first window within 24 hours when the relist span reaches back 12 hours', async () => {
    await withStack({ simulator: { data: { spanMs: 4 * DAY, blobsPerContentType: 40 } } }, async (stack) => {
      // A cursor 3 days behind: its first window reaches 12 hours back and must stop 24 hours after that.
      const position = wholeSecond(Date.now() - 3 * DAY);
      const cursor: ManagementCursor = { startTime: null, position, recent: {}, lastStartRequest: null };
      await (await stateOf(stack)).cursors.save('auditGeneral', cursor, undefined, CURSOR_VERSION);
      const logger = recordingLogger();
      await invokeManagementFunction('auditGeneral', testEnv(stack, { MANAGEMENT_RELIST_SECONDS: '43200' }), logger);
      const calls = listings(stack);
      assert.equal(calls[0]?.query.startTime, apiTime(new Date(Date.parse(position) - 12 * HOUR)));
      assert.ok(
        calls.every((c) => c.status === 200 && spanOf(c.query) <= DAY),
        calls.map((c) => `${c.status} ${c.query.startTime}..${c.query.endTime}`).join('\n'),
      );
      assert.ok(!logger.lines.some((l) => l.startsWith('warn') || l.startsWith('error')), logger.lines.join('\n'));
      assert.equal((await loadCursor(stack))?.position.slice(0, 19), param(calls.at(-1)?.query ?? {}, 'endTime'));
    });
  });

  it('a run killed inside a 24-hour window resumes from the blob it reached, and sends nothing twice', async () => {
    // One window of 360 blobs, fetched one at a time and slowly, so the run saves its cursor (every 60 s) inside it.
    const data = { spanMs: 20 * HOUR, blobsPerContentType: { 'Audit.General': 360 } };
    await withStack({ simulator: { data } }, async (stack) => {
      const sim = stack.simulator;
      sim.faults.add({ match: { route: 'blob' }, kind: 'delay-headers', delayMs: 200, times: 1000 });
      const windowStart = wholeSecond(Date.now() - 22 * HOUR);
      const env = { MANAGEMENT_START_TIME: windowStart, MANAGEMENT_FETCH_CONCURRENCY: '1' };
      const { kill, saved } = await killOnceCursorSaved(stack, env, windowStart);
      assert.ok(saved.position < new Date(Date.parse(windowStart) + DAY).toISOString(), 'inside the first window');
      const settled = (id: string, created: number): boolean =>
        created < Date.parse(saved.position) || saved.recent[id] !== undefined;
      const descriptors = new Map(
        sim.contentDescriptors('Audit.General').map((d) => [d.contentId, Date.parse(d.contentCreated)]),
      );
      const settledBefore = [...descriptors].filter(([id, created]) => settled(id, created)).length;
      assert.ok(settledBefore > 0 && settledBefore < descriptors.size, `${settledBefore} blobs settled at the kill`);

      sim.faults.clear();
      const listedBefore = listings(stack).length;
      const fetchedBefore = sim.log.requests('blob').length;
      await invokeManagementFunction('auditGeneral', testEnv(stack, env), recordingLogger());
      const relisted = listings(stack).slice(listedBefore);
      assert.equal(
        relisted[0]?.query.startTime,
        apiTime(new Date(Date.parse(saved.position) - 15 * 60_000)),
        'listed again from the blob reached (less the relist span), not from the window start',
      );
      const refetched = sim.log.requests('blob').slice(fetchedBefore);
      const again = refetched.filter((r) => settled(r.contentId ?? '', descriptors.get(r.contentId ?? '') ?? 0));
      assert.deepEqual(again, [], 'no blob settled before the kill was fetched again');
      assert.equal(refetched.length, descriptors.size - settledBefore, 'every blob not settled was fetched');
      assertResumedExactly(stack, kill, sim.expectedUniqueRecords('Audit.General'));
    });
  });
});

/**
 * Runs `npm run collect -- auditGeneral` and SIGKILLs it as soon as its saved cursor stands inside the window that
 * starts at `windowStart`: the kill a 24-hour window risks, with progress saved only part of the way through it.
 */
async function killOnceCursorSaved(
  stack: LocalStack,
  env: Record<string, string>,
  windowStart: string,
): Promise<{ kill: Kill; saved: ManagementCursor }> {
  const { child, exited: exit, hasExited, output } = collectProcess(stack, 'auditGeneral', env);
  const deadline = Date.now() + 180_000;
  let saved: ManagementCursor | undefined;
  for (;;) {
    saved = await loadCursor(stack);
    if (saved !== undefined && saved.position > windowStart) break;
    assert.ok(!hasExited(), `the run ended before it saved a cursor inside the window: ${output()}`);
    assert.ok(Date.now() < deadline, 'timed out waiting for a cursor inside the window');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  await exit;
  await expireLockOf(stack, 'auditGeneral');
  return { kill: killed(stack), saved };
}
