import type { Executor } from '../db/client.js';

/**
 * Reference data an API process reads on every case start but that changes rarely and only by
 * VPCP (the rule sets, the fee-type catalogue), reused for `reuseMs` per database (project rule,
 * README "Starts"). The process that changes it calls `forget` at once; another API process sees
 * the change at most `reuseMs` later (a code missing from a reused catalogue is looked up, so an
 * addition counts at once everywhere). A failed read is not kept.
 */
export class ReusedReference<T> {
  private readonly known = new WeakMap<Executor, { until: number; value: Promise<T> }>();

  constructor(private readonly reuseMs: number, private readonly load: (db: Executor) => Promise<T>) {}

  get(db: Executor): Promise<T> {
    const now = Date.now();
    const entry = this.known.get(db);
    if (entry && entry.until > now) return entry.value;
    const value = this.load(db);
    this.known.set(db, { until: now + this.reuseMs, value });
    value.catch(() => this.known.delete(db));
    return value;
  }

  forget(db: Executor): void {
    this.known.delete(db);
  }
}

/** How long an API process reuses reference data it read (see `ReusedReference`). */
export const REFERENCE_REUSE_MS = 2_000;
