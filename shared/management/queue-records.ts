/**
 * Hands `records[from..]` to `onRecord` in order and returns nothing when none had to wait, or else a promise that
 * settles once the last one is taken; no record is handed over before the one ahead of it was taken.
 *
 * The result is the HTTP body reader's: a promise makes it pause the response until it settles, so a promise from
 * every chunk (an `async` loop) paused and resumed each response, and re-armed its idle timer, tens of thousands of
 * times a catch-up, for the rare record that waits for a delivery.
 */
export function queueRecords(
  records: readonly Buffer[],
  onRecord: (record: Buffer) => void | Promise<void>,
  from = 0,
): void | Promise<void> {
  for (let i = from; i < records.length; i++) {
    const queued = onRecord(records[i] as Buffer);
    if (queued !== undefined) return queued.then(() => queueRecords(records, onRecord, i + 1));
  }
  return undefined;
}
