/**
 * A destination type for tests of the runtime: records every delivery (the runtime issue's
 * "test destination"). Real receivers (webhooks on loopback) are used where delivery itself is
 * under test.
 */
import type { DestinationDriver, DriverFactory, OutboxRecord } from '../../src/destinations/types.js';

export class Recorder {
  readonly received: OutboxRecord[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];

  readonly factory: DriverFactory = () => this.driver;

  private readonly driver: DestinationDriver = {
    deliver: async (record) => {
      this.received.push(record);
      this.waiters = this.waiters.filter((waiter) => {
        if (this.received.length >= waiter.count) waiter.resolve();
        return this.received.length < waiter.count;
      });
      return { ok: true };
    },
  };

  /** Resolves once `count` deliveries arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 10_000): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${this.received.length} of ${count} deliveries after ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ count, resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }
}
