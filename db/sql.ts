// One small SQL layer over PostgreSQL (pg) and PGlite, so the audit store, the enrichment
// queries and the Teams conversation store run unchanged on either.

export interface SqlRows<T> {
  rows: T[];
}

export interface SqlExecutor {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<SqlRows<T>>;
}

export interface SqlDb extends SqlExecutor {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * `opts.first` is a constant statement (no parameters) run right after BEGIN, in the same round
   * trip on PostgreSQL (the audit append lock: one round trip less per group commit).
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, opts?: { first?: string }): Promise<T>;
  close(): Promise<void>;
}
