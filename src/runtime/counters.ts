/**
 * Per-step counters (entered, active, completed, exited, sent, failed…). The totals live in
 * memory (a few per step of each published version, loaded at start); the ones that changed are
 * written to LMDB once a second as plain puts, so an event costs no counter writes and a flush
 * needs no read inside the transaction. Counters are statistics: a crash may lose the last second
 * of changes, never an instance.
 */
import type { Committer } from './committer.js';
import type { Store } from './store.js';

export type CounterName = 'entered' | 'active' | 'completed' | 'exited' | 'expired' | 'terminated' | 'sent' | 'delivered' | 'failed';

type CounterKey = [journeyId: string, version: number, step: string, name: CounterName];

interface Counter {
  key: CounterKey;
  value: number;
}

export class Counters {
  /** `journeyId \0 version` → `step \0 name` → counter. */
  private readonly totals = new Map<string, Map<string, Counter>>();
  private dirty = new Set<Counter>();

  constructor(private readonly store: Store) {
    for (const { key, value } of store.counters.getRange({})) {
      const [journeyId, version, step, name] = key as CounterKey;
      this.counter(journeyId, version, step, name).value = value as number;
    }
  }

  add(journeyId: string, version: number, step: string, name: CounterName, delta = 1): void {
    if (delta === 0) return;
    const counter = this.counter(journeyId, version, step, name);
    counter.value += delta;
    this.dirty.add(counter);
  }

  /** Puts the counters that changed into the batch being committed. */
  flush(committer: Committer): void {
    if (this.dirty.size === 0) return;
    const batch = committer.batch;
    for (const counter of this.dirty) batch.put(this.store.counters, counter.key, counter.value);
    this.dirty = new Set();
  }

  /** Counters of one version: step → name → value. */
  read(journeyId: string, version: number): Record<string, Partial<Record<CounterName, number>>> {
    const out: Record<string, Partial<Record<CounterName, number>>> = {};
    for (const { key: [, , step, name], value } of this.totals.get(`${journeyId}\u0000${version}`)?.values() ?? []) (out[step] ??= {})[name] = value;
    return out;
  }

  private counter(journeyId: string, version: number, step: string, name: CounterName): Counter {
    const versionKey = `${journeyId}\u0000${version}`;
    let steps = this.totals.get(versionKey);
    if (!steps) this.totals.set(versionKey, (steps = new Map()));
    const stepKey = `${step}\u0000${name}`;
    let counter = steps.get(stepKey);
    if (!counter) steps.set(stepKey, (counter = { key: [journeyId, version, step, name], value: 0 }));
    return counter;
  }
}
