import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createObfuscator } from '../../shared/telemetry/obfuscate.ts';

it('replaces the chosen fields at any depth with a keyed, stable pseudonym', () => {
  const obfuscate = createObfuscator(['UserId', 'ClientIP'], 'k'.repeat(16));
  const record = {
    UserId: 'alice@contoso.com',
    ClientIP: '203.0.113.5',
    Operation: 'FileAccessed',
    Actor: [{ UserId: 'alice@contoso.com', Type: 5 }],
    Nested: { ClientIP: null, Other: 'kept' },
  };
  const out = obfuscate(record) as typeof record;
  assert.match(out.UserId, /^obf:[0-9a-f]{32}$/);
  assert.equal(out.Actor[0]?.UserId, out.UserId, 'the same value gives the same pseudonym');
  assert.notEqual(out.ClientIP, out.UserId);
  assert.equal(out.Operation, 'FileAccessed');
  assert.equal(out.Nested.ClientIP, null);
  assert.equal(out.Nested.Other, 'kept');
  assert.ok(!JSON.stringify(out).includes('alice@contoso.com'));
  const otherKey = createObfuscator(['UserId'], 'x'.repeat(16))(record) as typeof record;
  assert.notEqual(otherKey.UserId, out.UserId, 'the pseudonym depends on the key');
});
