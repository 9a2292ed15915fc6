import type { BlobData, BlobProperties, BlobStore } from '../../shared/state/index.ts';
import { stateError } from '../../shared/state/errors.ts';

/**
 * A BlobStore in memory with the conditions of the real one (create-only, If-Match, append position), for unit
 * tests that need state but not Azurite. Every write is reported to `onWrite` as `<operation> <blob name>`.
 */
export function memoryBlobStore(onWrite: (what: string) => void = () => {}): BlobStore & {
  blobs: Map<string, { data: Buffer; etag: string }>;
  bytesRead: number;
} {
  const blobs = new Map<string, { data: Buffer; etag: string }>();
  let revision = 0;
  const nextEtag = (): string => `"${++revision}"`;
  const joined = (data: BlobData): Buffer =>
    data instanceof Uint8Array ? Buffer.from(data) : Buffer.concat(data as readonly Uint8Array[]);
  const conflict = (name: string): never => {
    throw stateError('STATE_CONFLICT', `Blob ${name} was changed by another writer`, { store: 'blob', name });
  };
  const store = {
    location: 'memory://',
    blobs,
    bytesRead: 0,
    async load(name: string) {
      const blob = blobs.get(name);
      if (blob === undefined) return undefined;
      store.bytesRead += blob.data.byteLength;
      return { data: Buffer.from(blob.data), etag: blob.etag };
    },
    async save(name: string, data: BlobData, etag: string | undefined) {
      const existing = blobs.get(name);
      if (etag === undefined ? existing !== undefined : existing?.etag !== etag) conflict(name);
      onWrite(`save ${name}`);
      const next = { data: joined(data), etag: nextEtag() };
      blobs.set(name, next);
      return next.etag;
    },
    async overwrite(name: string, data: BlobData) {
      onWrite(`overwrite ${name}`);
      const next = { data: joined(data), etag: nextEtag() };
      blobs.set(name, next);
      return next.etag;
    },
    async remove(name: string, etag?: string) {
      const existing = blobs.get(name);
      if (existing === undefined) return false;
      if (etag !== undefined && existing.etag !== etag) conflict(name);
      onWrite(`remove ${name}`);
      return blobs.delete(name);
    },
    async properties(name: string): Promise<BlobProperties | undefined> {
      const blob = blobs.get(name);
      return blob === undefined ? undefined : { length: blob.data.byteLength, etag: blob.etag };
    },
    async loadFrom(name: string, offset: number) {
      const blob = blobs.get(name);
      if (blob === undefined) return undefined;
      const data = Buffer.from(blob.data.subarray(offset));
      store.bytesRead += data.byteLength;
      return { data, properties: { length: blob.data.byteLength, etag: blob.etag } };
    },
    async append(name: string, data: Uint8Array, position: number) {
      const existing = blobs.get(name);
      if ((existing?.data.byteLength ?? 0) !== position) conflict(name);
      onWrite(`append ${name}`);
      const next = { data: Buffer.concat([existing?.data ?? Buffer.alloc(0), data]), etag: nextEtag() };
      blobs.set(name, next);
      return { length: next.data.byteLength, etag: next.etag };
    },
    async list(prefix: string) {
      return [...blobs.keys()].filter((name) => name.startsWith(prefix)).sort();
    },
  };
  return store;
}
