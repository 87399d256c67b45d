// index.d.ts — the TypeScript declarations of the skv package (CommonJS and ESM).

/// <reference types="node" />

import type { ErrorCode } from './lib/constants';
export type { ErrorCode } from './lib/constants';

/** A key, value or bound: bytes, or a string (encoded as UTF-8). */
export type Bytes = Buffer | Uint8Array | ArrayBufferView | ArrayBuffer | string;

/** A version timestamp: nanoseconds since the Unix epoch. */
export type Timestamp = bigint | number;

/** Engine options by their C names (`max_memtable_size`) or in camelCase (`maxMemtableSize`). */
export type OptionValue = string | number | bigint | boolean;
export type OpenOptions = Record<string, OptionValue> | Options;

export type Mode = 'readWrite' | 'readOnly' | 'writeOnly';
export type Durability = 'eventual' | 'immediate';

export interface BeginOptions {
  /** 'readWrite' (default), 'readOnly' or 'writeOnly'. */
  mode?: Mode;
  /** 'eventual' (default) or 'immediate' (the commit waits for fsync). */
  durability?: Durability;
}

export interface IterOptions {
  /** Walk from the largest key down. */
  reverse?: boolean;
  /** Values are read as empty buffers. */
  keysOnly?: boolean;
}

export interface RangeOptions extends IterOptions {
  /** At most this many entries (0 or absent: all). */
  limit?: number;
}

export type Entry = [key: Buffer, value: Buffer];

export interface HistoryOptions extends IterOptions {
  /** The oldest timestamp reported (inclusive; default 0). */
  tsFrom?: Timestamp;
  /** The newest timestamp reported (inclusive; default 2^64 - 1). */
  tsTo?: Timestamp;
  /** Report soft deletes as versions of kind 'softDelete' (empty value). */
  tombstones?: boolean;
  /** At most this many versions (0 or absent: all). */
  limit?: number;
}

export type VersionKind = 'set' | 'softDelete' | 'replace';

/** One version of a key. */
export interface Version {
  key: Buffer;
  value: Buffer;
  /** ns since the Unix epoch; 0n for the transaction's own write without an explicit one. */
  timestamp: bigint;
  kind: VersionKind;
}

/** Every failure of the engine. `code` is the error name skv_errname() gives. */
export declare class SkvError extends Error {
  constructor(code: ErrorCode, errno?: number, detail?: string);
  readonly name: 'SkvError';
  /** 'SKV_ECONFLICT', 'SKV_ECLOSED', ... */
  readonly code: ErrorCode;
  /** The negative number of the code in skv.h. */
  readonly errno: number;
  /** The integrity check's report, on errors of check() and checkDir(). */
  readonly report?: string;
}
export { SkvError as Error };

/** An option set, checked as it is built (SKV_EINVAL names a bad option). */
export declare class Options {
  constructor(options?: Record<string, OptionValue>);
  set(name: string, value: OptionValue): this;
}

/** An open database. */
export declare class DB {
  private constructor();
  /** The directory the database was opened from. */
  readonly path: string;
  /** True once close began. */
  readonly closed: boolean;
  begin(options?: BeginOptions): Txn;
  /**
   * key = value in the write-only transaction that gathers every put and delete of this turn
   * of the event loop; resolves when it is committed (all the turn's writes together).
   */
  put(key: Bytes, value: Bytes, options?: { durability?: Durability }): Promise<void>;
  /** A hard delete gathered like put. */
  delete(key: Bytes, options?: { durability?: Durability }): Promise<void>;
  /** Runs fn in a transaction: commit when it returns (read-only: rollback), rollback when it throws. */
  transaction<T>(fn: (txn: Txn) => T | Promise<T>, options?: BeginOptions): Promise<T>;
  /** Closes off the event loop; settles after every pending commit promise. */
  close(): Promise<void>;
  closeSync(): void;
  flush(): Promise<void>;
  flushSync(): void;
  compact(): Promise<void>;
  compactSync(): void;
  /** fsyncs the write-ahead log. */
  sync(): Promise<void>;
  syncSync(): void;
  /** A consistent copy of the database in dir (new or empty), which opens as a database. */
  checkpoint(dir: string): Promise<void>;
  checkpointSync(dir: string): void;
  /** Replaces the database's contents with the checkpoint in dir (crash-safe). */
  restore(dir: string): Promise<void>;
  restoreSync(dir: string): void;
  /**
   * The integrity check: resolves to the report when intact; rejects with an SkvError whose
   * `report` holds it when problems were found.
   */
  check(): Promise<string>;
  checkSync(): string;
  /** 'stats', 'sequence', 'timestamp', 'memtables', 'level-files', ... */
  property(name: string): string;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A transaction: snapshot isolation, first committer wins. */
export declare class Txn {
  private constructor();
  readonly db: DB;
  readonly mode: Mode;
  /** True once committed, rolled back or closed, or when the database was closed. */
  readonly ended: boolean;
  get(key: Bytes): Buffer | undefined;
  /** The value as of a timestamp (needs enable_versioning). */
  getAt(key: Bytes, timestamp: Timestamp): Buffer | undefined;
  set(key: Bytes, value: Bytes): void;
  setAt(key: Bytes, value: Bytes, timestamp: Timestamp): void;
  delete(key: Bytes): void;
  softDelete(key: Bytes): void;
  replace(key: Bytes, value: Bytes): void;
  savepoint(): void;
  rollbackToSavepoint(): void;
  setDurability(durability: Durability): void;
  /** Commits off the event loop; rejects with SkvError (SKV_ECONFLICT, ...). */
  commit(): Promise<void>;
  commitSync(): void;
  rollback(): void;
  /** Ends the transaction (rolling back if open) and releases it now. */
  close(): void;
  /** [lo, hi) as an iterable and async iterable of [key, value]; undefined bounds are open. */
  range(lo?: Bytes | null, hi?: Bytes | null, options?: RangeOptions): Range;
  cursor(lo?: Bytes | null, hi?: Bytes | null, options?: IterOptions): Cursor;
  /** The versions of [lo, hi): keys ascending, each key's versions newest first. */
  history(lo?: Bytes | null, hi?: Bytes | null, options?: HistoryOptions): History;
  /** A cursor over those versions; version() gives the current one's timestamp and kind. */
  historyCursor(lo?: Bytes | null, hi?: Bytes | null, options?: HistoryOptions): Cursor;
  /** Calls fn per entry on this thread; a truthy return stops. */
  scan(lo: Bytes | null | undefined, hi: Bytes | null | undefined,
       fn: (key: Buffer, value: Buffer) => unknown): void;
  scan(lo: Bytes | null | undefined, hi: Bytes | null | undefined, options: RangeOptions | undefined,
       fn: (key: Buffer, value: Buffer) => unknown): void;
  [Symbol.dispose](): void;
}

/** The entries of a range; each iteration reads them in batches through a cursor of its own. */
export declare class Range implements Iterable<Entry>, AsyncIterable<Entry> {
  private constructor();
  readonly txn: Txn;
  [Symbol.iterator](): Generator<Entry, void, undefined>;
  [Symbol.asyncIterator](): AsyncGenerator<Entry, void, undefined>;
  toArray(): Entry[];
}

/** The versions of a range, read in batches like a Range. */
export declare class History implements Iterable<Version>, AsyncIterable<Version> {
  private constructor();
  readonly txn: Txn;
  [Symbol.iterator](): Generator<Version, void, undefined>;
  [Symbol.asyncIterator](): AsyncGenerator<Version, void, undefined>;
  toArray(): Version[];
}

/** An explicit iterator: positioning calls return whether they landed on an entry. */
export declare class Cursor {
  private constructor();
  readonly txn: Txn;
  /** True for a cursor over versions (txn.historyCursor). */
  readonly history: boolean;
  first(): boolean;
  last(): boolean;
  next(): boolean;
  prev(): boolean;
  seek(key: Bytes): boolean;
  key(): Buffer | undefined;
  value(): Buffer | undefined;
  /** The current version's timestamp and kind (history cursors); undefined when not on one. */
  version(): { timestamp: bigint; kind: VersionKind } | undefined;
  /** The next entries (0 = no limit); an empty array at the end. History cursors give Versions. */
  readBatch(maxEntries?: number, maxBytes?: number): Entry[] | Version[];
  readBatchAsync(maxEntries?: number, maxBytes?: number): Promise<Entry[] | Version[]>;
  close(): void;
  [Symbol.dispose](): void;
}

/** Opens (creating it if allowed) the database in a directory, off the event loop. */
export declare function open(path: string | URL, options?: OpenOptions): Promise<DB>;
export declare function openSync(path: string | URL, options?: OpenOptions): DB;
/** The integrity check of a closed database directory: resolves to the report when intact. */
export declare function checkDir(path: string | URL, options?: OpenOptions): Promise<string>;
export declare function checkDirSync(path: string | URL, options?: OpenOptions): string;

/** Error name -> code, as skv.h defines them. */
export declare const errors: typeof import('./lib/constants').ERRORS;
/** Every constant of skv.h (modes, durability, flags, limits). */
export declare const constants: typeof import('./lib/constants').CONSTANTS;
/** The name of a code; 'SKV_UNKNOWN' for other integers. */
export declare function errname(code: number): ErrorCode | 'SKV_UNKNOWN';
export declare function strerror(code: number): string;
export declare function versionNumber(): number;
export declare function versionString(): string;
export declare function abiVersion(): number;
