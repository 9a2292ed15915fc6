import { DEFAULT_MAX_EVENT_BYTES } from '../../shared/devo/event-cap.ts';
import type { FlushOptions } from '../../shared/devo/sender.ts';
import type { EventSink } from '../../shared/pipeline/index.ts';

/**
 * A sink that reads back the lines a batch carries instead of sending them: each line's tag and message go to
 * `onLine`, then `flush` stands for Devo's confirmation (and calls `onWritten` when it stands for the writing too).
 * Its prefix is only the tag and a space.
 */
export function lineSink(
  onLine: (tag: string, message: string) => void,
  flush: (options: FlushOptions) => Promise<void> = async () => {},
): EventSink {
  return {
    chunkBytes: 64 * 1024,
    maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
    prefix: (tag) => Buffer.from(`${tag} `),
    sendFramed: (batch) => {
      for (const chunk of batch.chunks) {
        for (const line of chunk.data.toString('utf8').split('\n').slice(0, -1)) {
          const space = line.indexOf(' ');
          onLine(line.slice(0, space), line.slice(space + 1));
        }
      }
    },
    flush: (options = {}) => flush(options),
  };
}
