import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { legacyStatus, toLegacyRow, traceKey } from '../../shared/messagetrace/mapping.ts';

const window = {
  organization: 'contoso.onmicrosoft.com',
  start: new Date('2026-11-20T00:00:00Z'),
  end: new Date('2026-11-21T00:00:00Z'),
  index: 3,
};

describe('Graph rows in the legacy layout', () => {
  for (const [graph, legacy] of [
    ['gettingStatus', 'GettingStatus'],
    ['pending', 'Pending'],
    ['failed', 'Failed'],
    ['delivered', 'Delivered'],
    ['expanded', 'Expanded'],
    ['quarantined', 'Quarantined'],
    ['filteredAsSpam', 'FilteredAsSpam'],
    ['recalled', 'Recalled'],
    ['unknownFutureValue', 'Unknown'],
    ['Delivered', 'Delivered'],
    ['FILTEREDASSPAM', 'FilteredAsSpam'],
    ['someNewStatus', 'SomeNewStatus'],
  ] as const) {
    it(`status ${graph} → ${legacy}`, () => assert.equal(legacyStatus(graph), legacy));
  }

  it('maps every field, in the legacy order', () => {
    const row = {
      id: '4c6d-trace',
      senderAddress: 'alice@contoso.com',
      recipientAddress: 'bob@fabrikam.com',
      messageId: '<abc@contoso.com>',
      receivedDateTime: '2026-11-20T10:01:02Z',
      subject: 'Résumé – 東京',
      size: 12345,
      fromIP: '203.0.113.5',
      toIP: '198.51.100.7',
      status: 'delivered',
    };
    const legacy = toLegacyRow(row, window);
    assert.deepEqual(Object.keys(legacy), [
      'Organization',
      'MessageId',
      'Received',
      'SenderAddress',
      'RecipientAddress',
      'Subject',
      'Status',
      'ToIP',
      'FromIP',
      'Size',
      'MessageTraceId',
      'StartDate',
      'EndDate',
      'Index',
    ]);
    assert.deepEqual(legacy, {
      Organization: 'contoso.onmicrosoft.com',
      MessageId: '<abc@contoso.com>',
      Received: '2026-11-20T10:01:02Z',
      SenderAddress: 'alice@contoso.com',
      RecipientAddress: 'bob@fabrikam.com',
      Subject: 'Résumé – 東京',
      Status: 'Delivered',
      ToIP: '198.51.100.7',
      FromIP: '203.0.113.5',
      Size: 12345,
      MessageTraceId: '4c6d-trace',
      StartDate: '2026-11-20T00:00:00.000Z',
      EndDate: '2026-11-21T00:00:00.000Z',
      Index: 3,
    });
  });

  it('keys rows by trace, recipient and status, the same for both back ends', () => {
    const graph = traceKey({ id: 'T', recipientAddress: 'Bob@Fabrikam.com', status: 'delivered' });
    assert.equal(graph, traceKey({ MessageTraceId: 'T', RecipientAddress: 'bob@fabrikam.com', Status: 'Delivered' }));
    assert.notEqual(graph, traceKey({ id: 'T', recipientAddress: 'carol@fabrikam.com', status: 'delivered' }));
    assert.notEqual(graph, traceKey({ id: 'T', recipientAddress: 'bob@fabrikam.com', status: 'pending' }));
  });
});
