/**
 * Latency in an HDR histogram (hdr-histogram-js): values are recorded in microseconds with three
 * significant digits from 1 µs to 1 h, so a percentile is exact to 0.1 % whatever the spread, and
 * memory stays fixed however many values are recorded (no sample array to sort).
 */
import * as hdr from 'hdr-histogram-js';

const MAX_US = 3_600_000_000; // 1 h

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export class LatencyHistogram {
  private readonly histogram = hdr.build({ bitBucketSize: 64, lowestDiscernibleValue: 1, highestTrackableValue: MAX_US, numberOfSignificantValueDigits: 3, autoResize: false, useWebAssembly: false });
  /** Values below zero (a clock read a hair earlier than the time it is compared with) are counted as zero. */
  negatives = 0;

  recordMs(ms: number): void {
    if (ms < 0) this.negatives++;
    const us = Math.min(MAX_US, Math.max(0, Math.round(ms * 1000)));
    this.histogram.recordValue(us);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The value at percentile `p` (0–100), in milliseconds. */
  percentileMs(p: number): number {
    return this.histogram.getValueAtPercentile(p) / 1000;
  }

  summary(): LatencySummary {
    const h = this.histogram;
    const empty = h.totalCount === 0;
    const max = empty ? 0 : h.maxValue;
    // A percentile is reported as the top of its bucket (within 0.1 %), which may pass the exact max: clamp it.
    const at = (p: number) => (empty ? 0 : Math.min(h.getValueAtPercentile(p), max) / 1000);
    return { count: h.totalCount, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: max / 1000, mean: empty ? 0 : h.mean / 1000 };
  }

  reset(): void {
    this.histogram.reset();
    this.negatives = 0;
  }
}
