/** Runs a scenario through the simulator and returns its output lines, as `journeys simulate` prints them. */
import { parseEventsFile } from '../../src/simulate/events-file.js';
import { lineOf, type Line } from '../../src/simulate/format.js';
import { Simulator, type SimulatorOptions } from '../../src/simulate/simulator.js';

export const T0 = Date.parse('2026-03-01T10:00:00.000Z');
export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const iso = (ms: number) => new Date(ms).toISOString();

let counter = 0;
/** A track event at T0 + offset. */
export function track(userId: string, event: string, offset: number, properties: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return { type: 'track', userId, event, properties, timestamp: iso(T0 + offset), messageId: `m-${++counter}`, ...extra };
}

export function identify(userId: string, traits: Record<string, unknown>, offset: number, extra: Record<string, unknown> = {}) {
  return { type: 'identify', userId, traits, timestamp: iso(T0 + offset), messageId: `m-${++counter}`, ...extra };
}

export function simulate(options: SimulatorOptions, events: object[], opts: { explain?: boolean; until?: number } = {}): Line[] {
  const simulator = new Simulator(options);
  const lines: Line[] = [];
  const keep = (effects: Parameters<typeof lineOf>[0][]) => {
    for (const effect of effects) {
      const line = lineOf(effect, opts.explain ?? false);
      if (line) lines.push(line);
    }
  };
  const parsed = parseEventsFile(events.map((e) => JSON.stringify(e)).join('\n'), 'scenario.ndjson');
  for (const { event, arrival } of parsed) {
    if (opts.until !== undefined && arrival > opts.until) break;
    keep(simulator.ingest(event, arrival));
  }
  keep(simulator.drain(opts.until));
  return lines;
}

export const ofKind = (lines: Line[], kind: string) => lines.filter((line) => line.kind === kind);
