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
  /** journeyId → version → step → name → counter: nested maps, so that counting allocates nothing. */
  private readonly totals = new Map<string, Map<number, Map<string, Map<CounterName, Counter>>>>();
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
    for (const [step, names] of this.totals.get(journeyId)?.get(version) ?? []) {
      const row: Partial<Record<CounterName, number>> = (out[step] = {});
      for (const [name, counter] of names) row[name] = counter.value;
    }
    return out;
  }

  private counter(journeyId: string, version: number, step: string, name: CounterName): Counter {
    const versions = child(this.totals, journeyId);
    const steps = child(versions, version);
    const names = child(steps, step);
    let counter = names.get(name);
    if (!counter) names.set(name, (counter = { key: [journeyId, version, step, name], value: 0 }));
    return counter;
  }
}

function child<K, V extends Map<unknown, unknown>>(map: Map<K, V>, key: K): V {
  let value = map.get(key);
  if (!value) map.set(key, (value = new Map() as V));
  return value;
}
