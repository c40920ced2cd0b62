// Minimal declarations for local-stack packages that ship no types; only what the sandbox uses.

declare module 's3rver' {
  import type { AddressInfo } from 'node:net';
  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory: string;
    resetOnClose?: boolean;
    configureBuckets?: { name: string; configs?: string[] }[];
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}

declare module 'dynalite' {
  import type { Server } from 'node:http';
  interface DynaliteOptions {
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    path?: string;
  }
  export default function dynalite(options?: DynaliteOptions): Server;
}

// better-sqlite3 is an optionalDependency (it builds from source) loaded with a dynamic import; only
// what providers/sqlite uses is declared here.
declare module 'better-sqlite3' {
  interface RunResult {
    changes: number;
    lastInsertRowid: number | bigint;
  }
  interface Statement {
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
    iterate(...params: unknown[]): IterableIterator<unknown>;
    run(...params: unknown[]): RunResult;
    raw(toggle?: boolean): this;
    safeIntegers(toggle?: boolean): this;
  }
  interface Options {
    readonly?: boolean;
    fileMustExist?: boolean;
    timeout?: number;
  }
  interface Database {
    prepare(sql: string): Statement;
    exec(sql: string): this;
    pragma(source: string, options?: { simple?: boolean }): unknown;
    function(
      name: string,
      options: { deterministic?: boolean; varargs?: boolean },
      fn: (...args: unknown[]) => unknown,
    ): this;
    close(): this;
    readonly inTransaction: boolean;
    /** Wraps `fn` so that each call runs in one transaction (BEGIN/COMMIT, ROLLBACK on a throw). */
    transaction<F extends (...args: never[]) => unknown>(fn: F): F;
  }
  interface DatabaseConstructor {
    new (filename: string, options?: Options): Database;
  }
  const Database: DatabaseConstructor;
  export default Database;
  export type { Database, Statement, Options, RunResult };
}
