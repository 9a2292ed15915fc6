import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeSkipToken, encodeSkipToken } from '../../tools/simulator/trace/graph.ts';
import { parseGraphFilter } from '../../tools/simulator/trace/graph-filter.ts';
import { formatRwsFilter, parseRwsFilter } from '../../tools/simulator/trace/rws-filter.ts';
import { Throttle } from '../../tools/simulator/trace/throttle.ts';
import { formatTicks, formatTicksZ, parseIsoInstant } from '../../tools/simulator/trace/time.ts';

const T = Date.UTC(2026, 10, 20, 10, 0, 0);

describe('Graph $filter', () => {
  it('reads both receivedDateTime bounds, with fractions and offsets', () => {
    const parsed = parseGraphFilter(
      'receivedDateTime ge 2026-11-20T10:00:00Z and receivedDateTime le 2026-11-20T12:00:00.1234567+01:00',
    );
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.filter.bounds, {
      start: { ms: T, sub: 0 },
      end: { ms: T + 3_600_000 + 123, sub: 4567 },
    });
    const quoted = parseGraphFilter(
      "(receivedDateTime ge '2026-11-20T10:00:00Z') and (receivedDateTime le '2026-11-20T10:00:01Z')",
    );
    assert.ok(quoted.ok);
    assert.equal(quoted.filter.bounds?.end.ms, T + 1000);
  });

  it('refuses one bound alone, a date without zone, unknown properties and broken literals', () => {
    for (const [text, pattern] of [
      ['receivedDateTime ge 2026-11-20T10:00:00Z', /Both receivedDateTime/],
      [
        'receivedDateTime ge 2026-11-20T10:00:00 and receivedDateTime le 2026-11-20T11:00:00Z',
        /Invalid receivedDateTime/,
      ],
      ['receivedDateTime ge 2026-02-30T10:00:00Z and receivedDateTime le 2026-11-20T11:00:00Z', /Invalid/],
      ["sender eq 'a@b.c'", /Could not find a property named 'sender'/],
      ["status eq 'delivered", /unterminated/],
      ['status delivered', /Syntax error/],
      ['status eq delivered', /string literal/],
    ] as const) {
      const parsed = parseGraphFilter(text);
      assert.equal(parsed.ok, false, text);
      if (!parsed.ok) assert.match(parsed.message, pattern, text);
    }
  });

  it('keeps eq conditions (last value wins), subject functions, and ignores or / ne / in / not', () => {
    const parsed = parseGraphFilter(
      "status eq 'failed' or status eq 'delivered' and recipientAddress eq 'o''brien@contoso.com' and " +
        "senderAddress ne 'x@y.z' and toIP in ('1.2.3.4') and not (fromIP eq '5.6.7.8') and contains(subject, 'and or')",
    );
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.filter.equals, { status: 'delivered', recipientAddress: "o'brien@contoso.com" });
    assert.deepEqual(parsed.filter.subject, { op: 'contains', text: 'and or' });
    assert.equal(parsed.filter.bounds, undefined);
    const empty = parseGraphFilter('');
    assert.ok(empty.ok);
    assert.deepEqual(empty.filter, { equals: {} });
  });
});

describe('RWS $filter', () => {
  it('reads datetime and DateTime literals, with or without a zone', () => {
    const parsed = parseRwsFilter(
      "StartDate eq datetime'2026-11-20T10:00:00Z' and EndDate eq DateTime'2026-11-20T12:00:00.5000000' and RecipientAddress eq 'a@b.c'",
    );
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.filter.start, { ms: T, sub: 0 });
    assert.deepEqual(parsed.filter.end, { ms: T + 2 * 3_600_000 + 500, sub: 0 });
    assert.deepEqual(parsed.filter.equals, [{ column: 'recipientaddress', value: 'a@b.c' }]);
    assert.equal(
      formatRwsFilter('S', 'E', parsed.filter),
      "StartDate eq DateTime'S' and EndDate eq DateTime'E' and RecipientAddress eq 'a@b.c'",
    );
  });

  it('answers syntax errors for what OData v3 refuses', () => {
    for (const text of [
      "StartDate eq '2026-11-20T10:00:00Z'",
      "StartDate eq datetime'2026-11-20T10:00:00Z' or EndDate eq datetime'2026-11-20T11:00:00Z'",
      "StartDate eq datetime'yesterday'",
      "Colour eq 'blue'",
      "Subject eq 'open",
    ]) {
      assert.equal(parseRwsFilter(text).ok, false, text);
    }
  });
});

describe('message trace helpers', () => {
  it('formats and parses 100 ns instants', () => {
    const instant = { ms: T + 490, sub: 7658 };
    assert.equal(formatTicks(instant), '2026-11-20T10:00:00.4907658');
    assert.equal(formatTicksZ(instant), '2026-11-20T10:00:00.4907658Z');
    assert.deepEqual(parseIsoInstant(formatTicksZ(instant)), instant);
    assert.deepEqual(parseIsoInstant('2026-11-20T10:00:00.4907658', true), instant);
    assert.equal(parseIsoInstant('2026-11-20T10:00:00.4907658'), undefined, 'zone required by default');
  });

  it('round-trips skip tokens and refuses forged ones', () => {
    const token = encodeSkipToken({ offset: 5000, queriedAt: T, version: 201 });
    assert.deepEqual(decodeSkipToken(token), { offset: 5000, queriedAt: T, version: 201 });
    assert.equal(decodeSkipToken('5000'), undefined);
    assert.equal(decodeSkipToken(Buffer.from('mt1:x:1').toString('base64url')), undefined);
  });

  it('throttles per tenant in sliding and fixed windows, with Retry-After until a slot frees', () => {
    const sliding = new Throttle({ limit: 2, windowMs: 60_000, mode: 'sliding' });
    assert.ok(sliding.admit('t1', T).ok);
    assert.ok(sliding.admit('t1', T + 20_000).ok);
    assert.deepEqual(sliding.admit('t1', T + 30_000), { ok: false, retryAfterSeconds: 30 });
    assert.ok(sliding.admit('T2', T + 30_000).ok, 'another tenant has its own quota');
    assert.ok(sliding.admit('t1', T + 60_000).ok, 'the first request left the window');
    assert.deepEqual(sliding.admit('t1', T + 60_500), { ok: false, retryAfterSeconds: 20 });
    assert.equal(sliding.refused, 2);

    const fixed = new Throttle({ limit: 2, windowMs: 60_000, mode: 'fixed' });
    assert.ok(fixed.admit('t', T + 10_000).ok);
    assert.ok(fixed.admit('t', T + 50_000).ok);
    assert.deepEqual(fixed.admit('t', T + 60_000), { ok: false, retryAfterSeconds: 10 });
    assert.ok(fixed.admit('t', T + 70_000).ok, 'a new window starts');
    fixed.reset();
    assert.ok(fixed.admit('t', T + 70_001).ok);
  });
});
