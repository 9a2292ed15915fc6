import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MAX_PART_CHARS,
  asciiJson,
  estimateEntityBytes,
  isValidRowKey,
  joinParts,
  partsToProperties,
  splitText,
} from '../../shared/state/entity-codec.ts';
import { createStateClients, usesHttpTableEndpoint } from '../../shared/state/clients.ts';

test('asciiJson escapes every non-ASCII code unit and parses back to the same value', () => {
  const value = { s: 'Grüße 😀 \u007f \u2028 ok', n: [1, 'ü'] };
  const text = asciiJson(JSON.stringify(value));
  assert.match(text, /^[\x20-\x7e]+$/);
  assert.deepEqual(JSON.parse(text), value);
  assert.equal(asciiJson('{"a":"b"}'), '{"a":"b"}');
});

test('splitText respects the size and never separates a surrogate pair', () => {
  assert.deepEqual(splitText('abcdefg', 3), ['abc', 'def', 'g']);
  assert.deepEqual(splitText('', 3), ['']);
  // The pair would straddle the first boundary, so the first piece is one shorter.
  assert.deepEqual(splitText('ab😀cd', 3), ['ab', '😀c', 'd']);
  const long = 'x'.repeat(MAX_PART_CHARS * 2 + 5);
  const parts = splitText(long);
  assert.deepEqual(
    parts.map((p) => p.length),
    [MAX_PART_CHARS, MAX_PART_CHARS, 5],
  );
  assert.equal(parts.join(''), long);
});

test('parts become dataN properties and are joined back; a missing part is reported', () => {
  const props = partsToProperties(['{"a"', ':1}']);
  assert.deepEqual(props, { data0: '{"a"', data1: ':1}' });
  assert.equal(joinParts(props, 2), '{"a":1}');
  assert.deepEqual(joinParts({ data0: 'x' }, 2), { missing: 1 });
});

test('estimateEntityBytes follows the UTF-16 size formula', () => {
  // 4 + 2*(6+5) keys; version/parts 8+2*7+4 and 8+2*5+4; updatedAt 8+2*9+8; data0 8+2*5+4+2*3.
  assert.equal(estimateEntityBytes('cursor', 'audit', ['abc']), 26 + 26 + 22 + 34 + 28);
});

test('row keys refuse the characters the table service refuses', () => {
  assert.equal(isValidRowKey('o365-audit.General'), true);
  for (const bad of ['', 'a/b', 'a\\b', 'a#b', 'a?b', 'a\tb', 'a\u0085b', 'x'.repeat(513)]) {
    assert.equal(isValidRowKey(bad), false, JSON.stringify(bad));
  }
});

test('only an http table endpoint in a connection string allows insecure table connections', () => {
  assert.equal(usesHttpTableEndpoint('UseDevelopmentStorage=true'), true);
  assert.equal(
    usesHttpTableEndpoint(
      'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k==;TableEndpoint=http://127.0.0.1:1/a',
    ),
    true,
  );
  assert.equal(usesHttpTableEndpoint('DefaultEndpointsProtocol=http;AccountName=a;AccountKey=k=='), true);
  assert.equal(
    usesHttpTableEndpoint(
      'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k==;EndpointSuffix=core.windows.net',
    ),
    false,
  );
  assert.equal(
    usesHttpTableEndpoint('DefaultEndpointsProtocol=http;TableEndpoint=https://a.table.core.windows.net'),
    false,
  );
});

test('identity settings build clients on the given endpoints without any network call', () => {
  const clients = createStateClients({
    kind: 'identity',
    blobServiceUri: 'https://acct.blob.core.windows.net',
    tableServiceUri: 'https://acct.table.core.windows.net',
    clientId: '00000000-0000-0000-0000-000000000001',
    tableName: 'cursors',
    containerName: 'state',
  });
  assert.equal(clients.table.tableName, 'cursors');
  assert.match(clients.table.url, /^https:\/\/acct\.table\.core\.windows\.net/);
  assert.equal(clients.container.url, 'https://acct.blob.core.windows.net/state');
});
