/**
 * Durations of delays and holds: `<n><unit>` with unit ms s m h d w (lower case, whole numbers),
 * or ISO-8601 without years or months (`PT1H`, `P2D`, `P1W`, `P1DT2H30M`). From 1 s to 365 d.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const SHORT = /^(\d+)(ms|s|m|h|d|w)$/;
const ISO = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

export const MIN_DURATION_MS = 1_000;
export const MAX_DURATION_MS = 365 * UNIT_MS.d!;

export type DurationResult = { ok: true; ms: number } | { ok: false; reason: string };

export function parseDuration(text: unknown): DurationResult {
  if (typeof text !== 'string') return { ok: false, reason: 'must be a string such as "1h" or "PT1H"' };
  const ms = toMilliseconds(text);
  if (ms === undefined) {
    return { ok: false, reason: `"${text}" is not a duration: use <whole number><ms|s|m|h|d|w> (lower case) or ISO-8601 without years or months, such as "PT1H"` };
  }
  if (ms < MIN_DURATION_MS) return { ok: false, reason: `"${text}" is shorter than the minimum of 1 s` };
  if (ms > MAX_DURATION_MS) return { ok: false, reason: `"${text}" is longer than the maximum of 365 d` };
  return { ok: true, ms };
}

/** The duration in milliseconds; throws on an invalid one (definitions are validated first). */
export function durationMs(text: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.ms;
}

function toMilliseconds(text: string): number | undefined {
  const short = SHORT.exec(text);
  if (short) return Number(short[1]) * UNIT_MS[short[2]!]!;
  const iso = ISO.exec(text);
  if (!iso || text === 'P' || text.endsWith('T')) return undefined;
  const [, w, d, h, m, s] = iso.map((part) => (part === undefined ? 0 : Number(part)));
  return w! * UNIT_MS.w! + d! * UNIT_MS.d! + h! * UNIT_MS.h! + m! * UNIT_MS.m! + s! * UNIT_MS.s!;
}

/** A duration in the same grammar without the 1 s – 365 d bounds (retry settings, timeouts). */
export function settingDurationMs(text: string): number {
  const ms = toMilliseconds(text);
  if (ms === undefined) throw new Error(`"${text}" is not a duration such as "500ms", "2s" or "PT1M"`);
  return ms;
}
