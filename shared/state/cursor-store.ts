import type { TableClient, TableEntityResult } from '@azure/data-tables';
import {
  DATA_PREFIX,
  MAX_ENTITY_BYTES,
  asciiJson,
  estimateEntityBytes,
  isValidRowKey,
  joinParts,
  partsToProperties,
  splitText,
} from './entity-codec.ts';
import type { CursorEntityHeader } from './entity-codec.ts';
import { httpStatusOf, isRecordNotFound, rethrowWriteFailure, stateError } from './errors.ts';

/** A cursor as read back, with what is needed to write it again conditionally. */
export interface CursorRecord<T> {
  /** The value in the current format (upgraded when it was stored by an older version). */
  value: T;
  /** Pass to `save` to update only if nobody else wrote in between. */
  etag: string;
  /** Version of `value` as returned, i.e. the `currentVersion` asked for. */
  version: number;
  /** Version found in storage; lower than `version` when the upgrade hook ran and the caller should save. */
  storedVersion: number;
  /** When the cursor was last written. */
  updatedAt: Date | undefined;
}

export interface CursorLoadOptions<T> {
  /** Persistence version this code writes and understands. */
  currentVersion: number;
  /** Converts a value stored by an older version; without it, older data is refused. */
  upgrade?: (fromVersion: number, raw: unknown) => T;
}

/** Per-function cursors kept as single Table entities, written only with ETag conditions. */
export interface CursorStore {
  load<T>(name: string, options: CursorLoadOptions<T>): Promise<CursorRecord<T> | undefined>;
  /**
   * Writes `value` and returns the new ETag. With `etag`, replaces only that exact revision; without, creates
   * only when absent. Losing either race throws `STATE_CONFLICT`.
   */
  save<T>(name: string, value: T, etag: string | undefined, version: number): Promise<string>;
  /** Deletes the cursor (only that revision when `etag` is given); false when it did not exist. */
  remove(name: string, etag?: string): Promise<boolean>;
}

export interface CursorStoreOptions {
  /** Partition holding the cursors; one table can serve several deployments by using different partitions. */
  partitionKey?: string;
}

type StoredFields = Partial<CursorEntityHeader> & Record<string, unknown>;

function isVersion(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

export function createCursorStore(table: TableClient, options: CursorStoreOptions = {}): CursorStore {
  const partitionKey = options.partitionKey ?? 'cursor';

  const checkName = (name: string): void => {
    if (!isValidRowKey(name)) {
      throw stateError('STATE_INVALID_NAME', `Cursor name ${JSON.stringify(name)} cannot be used as a table key`, {
        store: 'cursor',
        name,
      });
    }
  };

  async function load<T>(name: string, opts: CursorLoadOptions<T>): Promise<CursorRecord<T> | undefined> {
    checkName(name);
    const ctx = { store: 'cursor' as const, name, table: table.tableName };
    let entity: TableEntityResult<StoredFields>;
    try {
      entity = await table.getEntity<StoredFields>(partitionKey, name);
    } catch (err) {
      if (isRecordNotFound(err)) return undefined;
      throw err;
    }
    const { version: storedVersion, parts } = entity;
    if (!isVersion(storedVersion) || !isVersion(parts) || parts < 1 || !entity.etag) {
      throw stateError('STATE_CORRUPT', `Cursor ${name} has no valid version/parts/etag`, ctx);
    }
    const text = joinParts(entity, parts);
    if (typeof text !== 'string') {
      throw stateError(
        'STATE_CORRUPT',
        `Cursor ${name} is missing property ${DATA_PREFIX}${text.missing} of ${parts}`,
        ctx,
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw stateError('STATE_CORRUPT', `Cursor ${name} does not hold valid JSON`, ctx, err);
    }
    const versions = { ...ctx, storedVersion, currentVersion: opts.currentVersion };
    if (storedVersion > opts.currentVersion) {
      // Reading it as an older format and saving would silently destroy whatever the newer release recorded.
      throw stateError(
        'STATE_VERSION_UNSUPPORTED',
        `Cursor ${name} was stored with persistence version ${storedVersion}, newer than version ` +
          `${opts.currentVersion} supported here; deploy the newer release or reset the cursor`,
        versions,
      );
    }
    let value: T;
    if (storedVersion < opts.currentVersion) {
      if (!opts.upgrade) {
        throw stateError(
          'STATE_UPGRADE_FAILED',
          `Cursor ${name} has persistence version ${storedVersion} but no upgrade to version ${opts.currentVersion} exists`,
          versions,
        );
      }
      try {
        value = opts.upgrade(storedVersion, raw);
      } catch (err) {
        throw stateError(
          'STATE_UPGRADE_FAILED',
          `Upgrading cursor ${name} from version ${storedVersion} to ${opts.currentVersion} failed: ${(err as Error).message}`,
          versions,
          err,
        );
      }
    } else {
      value = raw as T;
    }
    const updatedAt = entity.updatedAt instanceof Date ? entity.updatedAt : undefined;
    return { value, etag: entity.etag, version: opts.currentVersion, storedVersion, updatedAt };
  }

  async function save<T>(name: string, value: T, etag: string | undefined, version: number): Promise<string> {
    checkName(name);
    const ctx = { store: 'cursor' as const, name, table: table.tableName, version };
    if (!isVersion(version)) throw new RangeError(`Cursor version must be a non-negative integer, got ${version}`);
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined) throw new TypeError(`Cursor ${name}: value is not JSON-serialisable`);
    const text = asciiJson(json);
    const parts = splitText(text);
    const bytes = estimateEntityBytes(partitionKey, name, parts);
    if (bytes > MAX_ENTITY_BYTES) {
      throw stateError(
        'STATE_TOO_LARGE',
        `Cursor ${name} is too large for one table entity: its JSON (${text.length} characters once non-ASCII is ` +
          `escaped) takes about ${bytes} bytes stored as UTF-16, limit ${MAX_ENTITY_BYTES}`,
        { ...ctx, chars: text.length, bytes },
      );
    }
    const header: CursorEntityHeader = { version, parts: parts.length, updatedAt: new Date() };
    const entity = { partitionKey, rowKey: name, ...header, ...partsToProperties(parts) };
    try {
      // Replace (not merge) so parts left over from a longer earlier value disappear.
      const res =
        etag === undefined ? await table.createEntity(entity) : await table.updateEntity(entity, 'Replace', { etag });
      if (!res.etag) throw new Error('Table service returned no ETag');
      return res.etag;
    } catch (err) {
      rethrowWriteFailure(err, `Cursor ${name}`, 'EntityAlreadyExists', etag, ctx);
    }
  }

  async function remove(name: string, etag?: string): Promise<boolean> {
    checkName(name);
    try {
      await table.deleteEntity(partitionKey, name, etag === undefined ? undefined : { etag });
      return true;
    } catch (err) {
      const status = httpStatusOf(err);
      if (isRecordNotFound(err)) return false;
      if (status === 412) {
        throw stateError(
          'STATE_CONFLICT',
          `Cursor ${name} was changed by another writer; not removed`,
          {
            store: 'cursor',
            name,
            table: table.tableName,
            status,
          },
          err,
        );
      }
      throw err;
    }
  }

  return { load, save, remove };
}
