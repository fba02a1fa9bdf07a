/**
 * Per-step counters (entered, active, completed, exited, sent, failed…), kept as deltas in
 * memory and added to LMDB once a second, so that an event costs no counter writes.
 * Counters are statistics: a crash may lose the last second of deltas, never an instance.
 */
import type { Committer } from './committer.js';
import type { Store } from './store.js';

export type CounterName = 'entered' | 'active' | 'completed' | 'exited' | 'expired' | 'terminated' | 'sent' | 'delivered' | 'failed';

export class Counters {
  private deltas = new Map<string, number>();

  constructor(private readonly store: Store) {}

  add(journeyId: string, version: number, step: string, name: CounterName, delta = 1): void {
    if (delta === 0) return;
    const key = `${journeyId}\u0000${version}\u0000${step}\u0000${name}`;
    this.deltas.set(key, (this.deltas.get(key) ?? 0) + delta);
  }

  /** Moves the deltas into the batch being committed. */
  flush(committer: Committer): void {
    if (this.deltas.size === 0) return;
    const deltas = this.deltas;
    this.deltas = new Map();
    committer.batch.write(() => {
      for (const [key, delta] of deltas) {
        const dbKey = key.split('\u0000').map((part, i) => (i === 1 ? Number(part) : part));
        const current = (this.store.counters.get(dbKey) as number | undefined) ?? 0;
        this.store.counters.put(dbKey, current + delta);
      }
    });
  }

  /** Counters of one version: step → name → value, with the deltas not yet written. */
  read(journeyId: string, version: number): Record<string, Partial<Record<CounterName, number>>> {
    const out: Record<string, Partial<Record<CounterName, number>>> = {};
    for (const { key, value } of this.store.counters.getRange({ start: [journeyId, version], end: [journeyId, version, '\uffff'] })) {
      const [, , step, name] = key as [string, number, string, CounterName];
      (out[step] ??= {})[name] = value as number;
    }
    const prefix = `${journeyId}\u0000${version}\u0000`;
    for (const [key, delta] of this.deltas) {
      if (!key.startsWith(prefix)) continue;
      const [step, name] = key.slice(prefix.length).split('\u0000') as [string, CounterName];
      const row = (out[step] ??= {});
      row[name] = (row[name] ?? 0) + delta;
    }
    return out;
  }
}
