/**
 * An open-loop load generator: event i of a run is due at `startAt + i / rate`, and is handed over
 * when it is due whether or not earlier ones have finished — so a slow server shows as latency,
 * not as a slower generator. Each event carries its scheduled time, and latency is measured from
 * it: when the process is busy and the generator falls behind, the delay counts against the
 * system under test (no coordinated omission).
 *
 * The generator shares the event loop with an embedded engine. It polls with setImmediate (a
 * timer's 1 ms granularity would add up to a millisecond of generator-made delay to every event);
 * it sleeps with setTimeout only when the next event is more than 2 ms away.
 */
import { hr } from './clock.js';

export interface OpenLoopOptions {
  /** Events per second. */
  rate: number;
  /** How many events in all. */
  count: number;
  /** Monotonic ms (clock.ts) of event 0; default now. */
  startAt?: number;
  /** Hands event `index` over; `scheduledAt` is its planned time (monotonic ms). Must not throw. */
  send: (index: number, scheduledAt: number) => void;
  /** Called about every 100 ms with the number handed over so far. */
  onProgress?: (sent: number) => void;
  /** At most this many overdue events are handed over per turn of the event loop (default 1000), so I/O keeps flowing while the generator catches up. */
  burst?: number;
  /**
   * Sleep this long between turns instead of polling with setImmediate: for a generator alone in
   * its process, where polling would spin a core the system under test needs. Events are then
   * handed over up to this much late (and that lag counts in their latency).
   */
  pollMs?: number;
}

export interface OpenLoopResult {
  sent: number;
  /** From event 0's scheduled time to the hand-over of the last event. */
  elapsedMs: number;
  /** The largest delay between an event's scheduled time and its hand-over: the generator's (and the event loop's) lag. */
  maxLagMs: number;
}

export function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { rate, count, send } = options;
  const interval = 1000 / rate;
  const burst = options.burst ?? 1000;
  const startAt = options.startAt ?? hr();
  let next = 0;
  let maxLagMs = 0;
  let lastProgress = 0;
  return new Promise((resolve) => {
    const turn = () => {
      const now = hr();
      let handed = 0;
      while (next < count && handed < burst) {
        const scheduledAt = startAt + next * interval;
        if (scheduledAt > now) break;
        const lag = now - scheduledAt;
        if (lag > maxLagMs) maxLagMs = lag;
        send(next, scheduledAt);
        next++;
        handed++;
      }
      if (options.onProgress && now - lastProgress >= 100) {
        lastProgress = now;
        options.onProgress(next);
      }
      if (next >= count) {
        resolve({ sent: next, elapsedMs: hr() - startAt, maxLagMs });
        return;
      }
      const wait = startAt + next * interval - hr();
      if (options.pollMs) setTimeout(turn, Math.max(options.pollMs, Math.floor(wait - 1)));
      else if (wait > 2) setTimeout(turn, Math.floor(wait - 1));
      else setImmediate(turn);
    };
    turn();
  });
}
