/**
 * Reading a simulator events file: NDJSON, one Segment-shaped track or identify per line, each
 * with a timestamp. Any malformed line stops the run with an error naming the file and line.
 */
import { EventShapeError, normalizeEvent } from '../core/event.js';
import type { IncomingEvent } from '../core/types.js';

export interface TimedEvent {
  event: IncomingEvent;
  arrival: number;
  line: number;
}

export class EventsFileError extends Error {
  constructor(readonly file: string, readonly line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'EventsFileError';
  }
}

export function parseEventsFile(text: string, file: string): TimedEvent[] {
  const events: TimedEvent[] = [];
  text.split(/\r?\n/).forEach((content, index) => {
    const line = index + 1;
    if (content.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(content);
    } catch (error) {
      throw new EventsFileError(file, line, `not valid JSON (${(error as Error).message})`);
    }
    const timestamp = (raw as { timestamp?: unknown } | null)?.timestamp;
    if (typeof timestamp !== 'string' || Number.isNaN(Date.parse(timestamp))) {
      throw new EventsFileError(file, line, '"timestamp" must be an ISO-8601 date string (the simulator takes it as the arrival time)');
    }
    const arrival = Date.parse(timestamp);
    try {
      const fallbackType = (raw as { event?: unknown }).event === undefined && (raw as { traits?: unknown }).traits !== undefined ? 'identify' : 'track';
      const event = normalizeEvent(raw, arrival, () => `sim-${line}`, fallbackType);
      events.push({ event, arrival, line });
    } catch (error) {
      if (error instanceof EventShapeError) throw new EventsFileError(file, line, error.message);
      throw error;
    }
  });
  // Timestamp order, ties in file order (Array#sort is stable).
  return events.sort((a, b) => a.arrival - b.arrival);
}
