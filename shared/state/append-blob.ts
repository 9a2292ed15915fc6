import type { AppendBlobClient, ContainerClient } from '@azure/storage-blob';
import type { BlobData, BlobProperties, BlobStore } from './blob-store.ts';
import { readExactly, toBody } from './blob-store.ts';
import { httpStatusOf, isRecordNotFound, rethrowWriteFailure, serviceErrorCode, stateError } from './errors.ts';

/** Largest block one Append Block takes on every service version (and Azurite). */
export const MAX_APPEND_BLOCK_BYTES = 4 * 1024 * 1024;

type Extra = Pick<BlobStore, 'overwrite' | 'properties' | 'loadFrom' | 'append' | 'list'>;

/** The BlobStore operations beyond whole-blob load and save: journals (append blobs), ranges and listing. */
export function appendBlobOperations(container: ContainerClient, checkName: (name: string) => void): Extra {
  const ctx = (name: string, bytes?: number) => ({
    store: 'blob' as const,
    name,
    container: container.containerName,
    ...(bytes === undefined ? {} : { bytes }),
  });

  async function overwrite(name: string, data: BlobData): Promise<string> {
    checkName(name);
    const { body, length } = toBody(data);
    const res = await container.getBlockBlobClient(name).upload(body, length, {
      blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
    });
    if (!res.etag) throw new Error('Blob service returned no ETag');
    return res.etag;
  }

  async function properties(name: string): Promise<BlobProperties | undefined> {
    checkName(name);
    try {
      const res = await container.getBlobClient(name).getProperties();
      if (res.contentLength === undefined || !res.etag) throw new Error('Blob service returned no length or ETag');
      return { length: res.contentLength, etag: res.etag };
    } catch (err) {
      if (isRecordNotFound(err)) return undefined;
      throw err;
    }
  }

  async function loadFrom(
    name: string,
    offset: number,
  ): Promise<{ data: Buffer; properties: BlobProperties } | undefined> {
    checkName(name);
    const head = await properties(name);
    if (head === undefined) return undefined;
    // Nothing past the end: a ranged GET would be refused (416), and there is nothing to read anyway.
    if (offset >= head.length) return { data: Buffer.alloc(0), properties: head };
    try {
      const res = await container.getBlobClient(name).download(offset, undefined, {
        conditions: { ifMatch: head.etag },
      });
      const stream = res.readableStreamBody;
      if (!stream) throw new Error('Blob service returned no body');
      return { data: await readExactly(stream, head.length - offset, name), properties: head };
    } catch (err) {
      // Changed between the HEAD and the GET: read it again from the start of the request.
      if (httpStatusOf(err) === 412) return loadFrom(name, offset);
      if (isRecordNotFound(err)) return undefined;
      throw err;
    }
  }

  // A journal takes one append per delivery: its client is kept rather than built (URL, pipeline) each time.
  let lastClient: { name: string; client: AppendBlobClient } | undefined;
  const appendClient = (name: string): AppendBlobClient => {
    if (lastClient?.name !== name) lastClient = { name, client: container.getAppendBlobClient(name) };
    return lastClient.client;
  };

  async function append(name: string, data: Uint8Array, position: number): Promise<BlobProperties> {
    checkName(name);
    const client = appendClient(name);
    if (position === 0) {
      try {
        await client.create({ conditions: { ifNoneMatch: '*' } });
      } catch (err) {
        // Already there: fine if still empty (an earlier attempt created it); the position check below decides.
        if (!(httpStatusOf(err) === 409 && serviceErrorCode(err) === 'BlobAlreadyExists')) throw err;
      }
    }
    let at = position;
    let etag = '';
    for (let start = 0; start < data.byteLength; start += MAX_APPEND_BLOCK_BYTES) {
      const block = data.subarray(start, start + MAX_APPEND_BLOCK_BYTES);
      etag = await appendBlock(name, block, at);
      at += block.byteLength;
    }
    if (etag === '') {
      const head = await properties(name);
      if (head === undefined || head.length !== position) conflict(name, position, head?.length);
      return head;
    }
    return { length: at, etag };
  }

  /** One Append Block at `at`; a retry whose first attempt landed (same bytes already at `at`) counts as done. */
  async function appendBlock(name: string, block: Uint8Array, at: number): Promise<string> {
    const client = appendClient(name);
    try {
      const res = await client.appendBlock(
        Buffer.from(block.buffer, block.byteOffset, block.byteLength),
        block.byteLength,
        {
          conditions: { appendPosition: at },
        },
      );
      if (!res.etag) throw new Error('Blob service returned no ETag');
      return res.etag;
    } catch (err) {
      if (httpStatusOf(err) !== 412)
        rethrowWriteFailure(err, `Blob ${name}`, 'BlobAlreadyExists', undefined, ctx(name));
      const landed = await loadFrom(name, at);
      if (landed !== undefined && landed.data.equals(Buffer.from(block.buffer, block.byteOffset, block.byteLength))) {
        return landed.properties.etag;
      }
      conflict(name, at, landed?.properties.length);
    }
  }

  function conflict(name: string, expected: number, actual: number | undefined): never {
    throw stateError(
      'STATE_CONFLICT',
      `Blob ${name} is ${actual ?? 'no longer'} bytes long where ${expected} were expected; another writer appended to it`,
      { ...ctx(name), expected, ...(actual === undefined ? {} : { actual }) },
    );
  }

  async function list(prefix: string): Promise<string[]> {
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat({ prefix })) names.push(blob.name);
    return names;
  }

  return { overwrite, properties, loadFrom, append, list };
}
