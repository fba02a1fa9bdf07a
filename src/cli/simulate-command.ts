/**
 * `journeys simulate JOURNEY_FILE EVENTS_NDJSON [--destinations FILE] [--audiences FILE]
 * [--until ISO] [--explain]`: runs a journey on a simulated clock and prints one NDJSON line
 * per effect. Nothing is delivered.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { validateJourney } from '../machines/validate.js';
import type { AudienceDefinition } from '../profiles/audiences.js';
import { checkCondition } from '../machines/validate-filters.js';
import { Checker } from '../machines/checker.js';
import { parseEventsFile } from '../simulate/events-file.js';
import { lineOf } from '../simulate/format.js';
import { Simulator } from '../simulate/simulator.js';
import type { Condition } from '../machines/types.js';
import type { CliIo } from './io.js';
import { UsageError } from './io.js';
import { loadDocument } from './load-document.js';

const USAGE = 'usage: journeys simulate JOURNEY_FILE EVENTS_NDJSON [--destinations FILE] [--audiences FILE] [--until ISO] [--explain]';

export async function simulateCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { destinations: { type: 'string' }, audiences: { type: 'string' }, until: { type: 'string' }, explain: { type: 'boolean' } },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const [journeyFile, eventsFile, ...extra] = parsed.positionals;
  if (!journeyFile || !eventsFile || extra.length > 0) throw new UsageError(USAGE);
  const until = parsed.values.until === undefined ? undefined : Date.parse(parsed.values.until);
  if (until !== undefined && Number.isNaN(until)) throw new UsageError(`--until ${parsed.values.until} is not an ISO-8601 date`);

  const destinations = parsed.values.destinations === undefined ? undefined : idsOf(readList(parsed.values.destinations, io, 'destinations'));
  const audiences = parsed.values.audiences === undefined ? undefined : readAudiences(parsed.values.audiences, io);

  const journey = loadDocument(journeyFile, io.cwd);
  if (!journey.ok) return report(io, journeyFile, [journey.issue]);
  const validation = validateJourney(journey.value, { destinations, audiences: audiences?.map((a) => a.id) });
  if (!validation.valid) return report(io, journeyFile, validation.issues);

  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, eventsFile), 'utf8');
  } catch (error) {
    throw new UsageError(`${eventsFile}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 1);
  }
  let events;
  try {
    events = parseEventsFile(text, eventsFile);
  } catch (error) {
    throw new UsageError((error as Error).message, 1);
  }

  const simulator = new Simulator({ journeys: [validation.definition], audiences: audiences ?? [] });
  const explain = parsed.values.explain === true;
  const print = (effects: Parameters<typeof lineOf>[0][]) => {
    for (const effect of effects) {
      const line = lineOf(effect, explain);
      if (line) io.stdout(JSON.stringify(line) + '\n');
    }
  };
  for (const { event, arrival } of events) {
    if (until !== undefined && arrival > until) break;
    print(simulator.ingest(event, arrival));
  }
  print(simulator.drain(until));
  return 0;
}

function report(io: CliIo, file: string, issues: { path: string; code: string; message: string }[]): number {
  for (const issue of issues) io.stderr(`${file} ${issue.path || '/'} ${issue.code} ${issue.message}\n`);
  return 1;
}

function readList(file: string, io: CliIo, what: string): unknown[] {
  const loaded = loadDocument(file, io.cwd);
  if (!loaded.ok) throw new UsageError(`${file} ${loaded.issue.path || '/'} ${loaded.issue.code} ${loaded.issue.message}`, 1);
  if (!Array.isArray(loaded.value)) throw new UsageError(`${file}: --${what} takes a JSON array`, 1);
  return loaded.value;
}

function idsOf(list: unknown[]): string[] {
  return list.flatMap((item) => (typeof (item as { id?: unknown })?.id === 'string' ? [(item as { id: string }).id] : []));
}

function readAudiences(file: string, io: CliIo): AudienceDefinition[] {
  const list = readList(file, io, 'audiences');
  const checker = new Checker();
  const audiences: AudienceDefinition[] = [];
  list.forEach((item, index) => {
    const at = `/${index}`;
    if (!checker.object(item, at, `Audience ${index}`, ['id', 'name', 'condition', 'members'])) return;
    const id = checker.string(item, 'id', at, `Audience ${index}`, { required: true });
    if (item.condition !== undefined) checkCondition(checker, item.condition, `${at}/condition`, { allowContext: false, audiences: [] });
    const members = checker.array(item, 'members', at, `Audience ${index}`);
    if (id !== undefined) {
      const audience: AudienceDefinition = { id };
      if (item.condition !== undefined) audience.condition = item.condition as Condition;
      if (members) audience.members = members.map(String);
      audiences.push(audience);
    }
  });
  if (checker.issues.length > 0) {
    throw new UsageError(checker.issues.map((issue) => `${file} ${issue.path} ${issue.code} ${issue.message}`).join('\n'), 1);
  }
  return audiences;
}
