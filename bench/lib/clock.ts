/**
 * Bench time: milliseconds (fractional) on CLOCK_MONOTONIC. `process.hrtime()` reads the same
 * monotonic clock in every process of the machine, so a time stamped by the load generator can be
 * compared with the receiver's time in another process without any clock calibration.
 */
export function hr(): number {
  const [seconds, nanos] = process.hrtime();
  return seconds * 1e3 + nanos / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
