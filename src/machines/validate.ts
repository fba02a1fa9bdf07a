/**
 * Journey validation (journey.md "Validation"): takes anything, returns every problem at once as
 * `{path, code, message}`. A definition with no issues has the shape of `JourneyDefinition`.
 */
import { validateMapping } from '../mapping/validate.js';
import { Checker, describe, type Obj } from './checker.js';
import { parseDuration } from './duration.js';
import type { Issue } from './issue-codes.js';
import { pointer } from './json-pointer.js';
import { isDottedPath } from './property-path.js';
import type { JourneyDefinition } from './types.js';
import { STEP_TYPES } from './types.js';
import { checkCondition, checkFilters, type ConditionScope } from './validate-filters.js';
import { checkGraph, type GraphStep } from './validate-graph.js';

export interface ValidationContext {
  /** Destination ids that exist; when absent, destinations are not checked. */
  destinations?: Iterable<string>;
  /** Audience ids that exist; when absent, audiences are not checked. */
  audiences?: Iterable<string>;
}

export type ValidationResult = { valid: true; definition: JourneyDefinition; issues: [] } | { valid: false; issues: Issue[] };

export const JOURNEY_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const STEP_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const MAX_STEPS = 100;
export const MAX_BRANCHES = 10;

const STEP_FIELDS: Record<string, readonly string[]> = {
  delay: ['duration', 'next'],
  hold_until: ['branches', 'maxDuration', 'timeoutNext', 'restartOnEntryEvent'],
  data_split: ['branches', 'otherwise'],
  random_split: ['branches', 'sticky'],
  send: ['destination', 'eventName', 'traits', 'mapping', 'next'],
  exit: [],
};

export function validateJourney(input: unknown, context: ValidationContext = {}): ValidationResult {
  const c = new Checker();
  const refs = { destinations: [] as { id: string; path: string }[], audiences: [] as { id: string; path: string }[] };
  if (!c.object(input, '', 'A journey', ['id', 'name', 'description', 'entry', 'start', 'steps', 'exitRules'])) return { valid: false, issues: c.issues };

  const id = c.string(input, 'id', '', 'A journey', { required: true });
  if (id !== undefined && !JOURNEY_ID.test(id)) c.add('/id', 'invalid_journey_id', `The journey id ${describe(id)} must be lower-case letters, digits, "-" or "_", starting with a letter or digit, at most 64 characters.`);
  const name = c.string(input, 'name', '', 'A journey');
  if (name !== undefined && name.length > 200) c.add('/name', 'name_too_long', `The name has ${name.length} characters; at most 200 are allowed.`);
  c.string(input, 'description', '', 'A journey');

  const entry = checkEntry(c, input.entry, refs);
  const contextKeys = new Set<string>(entry?.event ? [entry.event] : []);
  const steps = checkSteps(c, input.steps, refs, contextKeys);
  const start = c.string(input, 'start', '', 'A journey', { required: true });
  checkGraph(c, steps, start === undefined ? undefined : { id: start, path: '/start' });
  checkExitRules(c, input.exitRules, refs, entry?.uniqueIdentifier !== undefined);

  checkKnown(c, refs.destinations, context.destinations, 'unknown_destination', 'destination');
  checkKnown(c, refs.audiences, context.audiences, 'unknown_audience', 'audience');

  if (c.issues.length > 0) return { valid: false, issues: c.issues };
  return { valid: true, definition: input as unknown as JourneyDefinition, issues: [] };
}

type Refs = { destinations: { id: string; path: string }[]; audiences: { id: string; path: string }[] };

function checkEntry(c: Checker, entry: unknown, refs: Refs): { event?: string; uniqueIdentifier?: string } | undefined {
  if (entry === undefined) {
    c.add('/entry', 'missing_field', 'A journey needs "entry" (at least the entry event).');
    return undefined;
  }
  if (!c.object(entry, '/entry', 'entry', ['event', 'filters', 'audience', 'reentry', 'uniqueIdentifier'])) return undefined;
  const event = checkEventName(c, entry, '/entry', 'entry');
  checkFilters(c, entry.filters, '/entry/filters');
  const audience = c.string(entry, 'audience', '/entry', 'entry');
  if (audience !== undefined) refs.audiences.push({ id: audience, path: '/entry/audience' });
  const reentry = entry.reentry;
  if (reentry !== undefined && reentry !== 'once' && reentry !== 'every_time') {
    c.add('/entry/reentry', 'invalid_reentry', `reentry must be "once" or "every_time", not ${describe(reentry)}.`);
  }
  let uniqueIdentifier: string | undefined;
  if (entry.uniqueIdentifier !== undefined) {
    if (!isDottedPath(entry.uniqueIdentifier)) {
      c.add('/entry/uniqueIdentifier', 'invalid_path', `uniqueIdentifier must be a dotted path under the event's properties, not ${describe(entry.uniqueIdentifier)}.`);
    } else {
      uniqueIdentifier = entry.uniqueIdentifier;
    }
    if (reentry === 'once') c.add('/entry/uniqueIdentifier', 'unique_identifier_with_once', 'uniqueIdentifier has no use with reentry "once": a profile enters once in all. Remove one of them.');
  }
  return { event, uniqueIdentifier };
}

function checkEventName(c: Checker, obj: Obj, path: string, what: string): string | undefined {
  if (!c.required(obj, 'event', path, what)) return undefined;
  const event = obj.event;
  if (typeof event !== 'string' || event.length === 0 || event.length > 200) {
    c.add(pointer(path, 'event'), 'invalid_event_name', `${what} "event" must be a non-empty string of at most 200 characters, not ${describe(event)}.`);
    return undefined;
  }
  return event;
}

function checkSteps(c: Checker, value: unknown, refs: Refs, contextKeys: Set<string>): GraphStep[] {
  if (value === undefined) {
    c.add('/steps', 'missing_field', 'A journey needs "steps".');
    return [];
  }
  if (!Array.isArray(value)) {
    c.add('/steps', 'invalid_type', `"steps" must be an array, not ${describe(value)}.`);
    return [];
  }
  if (value.length > MAX_STEPS) c.add(pointer('/steps', MAX_STEPS), 'too_many_steps', `A journey has at most ${MAX_STEPS} steps; this one has ${value.length}.`);
  const seenSteps = new Set<string>();
  const seenBranches = new Set<string>();
  const graph: GraphStep[] = [];
  const conditions: { value: unknown; path: string }[] = [];

  value.forEach((step, index) => {
    const at = pointer('/steps', index);
    if (!c.object(step, at, `Step ${index}`, ['id', 'type', ...(STEP_FIELDS[(step as Obj)?.type as string] ?? Object.values(STEP_FIELDS).flat())])) return;
    const id = checkId(c, step, at, `Step ${index}`, seenSteps, 'duplicate_step_id', 'step');
    const type = step.type;
    if (type === undefined) {
      c.add(pointer(at, 'type'), 'missing_field', `Step ${index} needs "type" (${STEP_TYPES.join(', ')}).`);
      return;
    }
    if (typeof type !== 'string' || !(STEP_TYPES as readonly string[]).includes(type)) {
      c.add(pointer(at, 'type'), 'unknown_step_type', `Step ${index} has type ${describe(type)}; the types are ${STEP_TYPES.join(', ')}.`);
      return;
    }
    const edges: GraphStep['edges'] = [];
    const ref = (obj: Obj, key: string, path: string, what: string) => {
      const to = c.reference(obj, key, path, what);
      if (to !== undefined) edges.push({ to, path: pointer(path, key) });
    };
    const what = `Step "${id ?? index}"`;
    switch (type) {
      case 'delay':
        checkDuration(c, step, 'duration', at, what);
        ref(step, 'next', at, what);
        break;
      case 'hold_until':
        checkDuration(c, step, 'maxDuration', at, what);
        ref(step, 'timeoutNext', at, what);
        c.boolean(step, 'restartOnEntryEvent', at, what);
        forBranches(c, step, at, what, seenBranches, ['id', 'event', 'filters', 'alias', 'next'], (branch, bAt, bWhat) => {
          const event = checkEventName(c, branch, bAt, bWhat);
          checkFilters(c, branch.filters, pointer(bAt, 'filters'));
          const alias = branch.alias;
          if (alias !== undefined && (typeof alias !== 'string' || alias.length === 0 || alias.includes('.'))) {
            c.add(pointer(bAt, 'alias'), 'invalid_alias', `${bWhat} alias must be a non-empty string without dots, not ${describe(alias)}.`);
          }
          const key = typeof alias === 'string' ? alias : event;
          if (key !== undefined) contextKeys.add(key);
          ref(branch, 'next', bAt, bWhat);
        });
        break;
      case 'data_split':
        ref(step, 'otherwise', at, what);
        forBranches(c, step, at, what, seenBranches, ['id', 'when', 'next'], (branch, bAt, bWhat) => {
          if (c.required(branch, 'when', bAt, bWhat)) conditions.push({ value: branch.when, path: pointer(bAt, 'when') });
          ref(branch, 'next', bAt, bWhat);
        });
        break;
      case 'random_split': {
        c.boolean(step, 'sticky', at, what);
        let sum = 0;
        let percentsOk = true;
        forBranches(c, step, at, what, seenBranches, ['id', 'percent', 'next'], (branch, bAt, bWhat) => {
          const percent = branch.percent;
          if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0 || percent > 100) {
            c.add(pointer(bAt, 'percent'), percent === undefined ? 'missing_field' : 'invalid_percent', `${bWhat} "percent" must be an integer from 0 to 100, not ${describe(percent)}.`);
            percentsOk = false;
          } else {
            sum += percent;
          }
          ref(branch, 'next', bAt, bWhat);
        });
        if (percentsOk && Array.isArray(step.branches) && step.branches.length > 0 && sum !== 100) {
          c.add(pointer(at, 'branches'), 'percents_not_100', `${what} percents sum to ${sum}, not 100.`);
        }
        break;
      }
      case 'send':
        checkSend(c, step, at, what, refs);
        ref(step, 'next', at, what);
        break;
      case 'exit':
        break;
    }
    if (id !== undefined) graph.push({ id, index, wait: type === 'delay' || type === 'hold_until', edges });
  });

  // Conditions are checked after every step is seen, so that context keys from later steps count.
  const scope: ConditionScope = { contextKeys, allowContext: true, audiences: refs.audiences };
  for (const condition of conditions) checkCondition(c, condition.value, condition.path, scope);
  return graph;
}

function checkId(c: Checker, obj: Obj, at: string, what: string, seen: Set<string>, duplicate: 'duplicate_step_id' | 'duplicate_branch_id', kind: string): string | undefined {
  const id = c.string(obj, 'id', at, what, { required: true });
  if (id === undefined) return undefined;
  if (!STEP_ID.test(id)) {
    c.add(pointer(at, 'id'), 'invalid_step_id', `${what} id ${describe(id)} must be letters, digits, "-" or "_", starting with a letter or digit, at most 64 characters.`);
    return undefined;
  }
  if (seen.has(id)) {
    c.add(pointer(at, 'id'), duplicate, `Another ${kind} already has the id "${id}".`);
    return undefined;
  }
  seen.add(id);
  return id;
}

function forBranches(c: Checker, step: Obj, at: string, what: string, seen: Set<string>, fields: string[], each: (branch: Obj, path: string, what: string) => void): void {
  const branches = c.array(step, 'branches', at, what, { required: true });
  if (!branches) return;
  if (branches.length === 0) c.add(pointer(at, 'branches'), 'no_branches', `${what} needs at least one branch.`);
  if (branches.length > MAX_BRANCHES) c.add(pointer(at, 'branches', MAX_BRANCHES), 'too_many_branches', `${what} has ${branches.length} branches; at most ${MAX_BRANCHES} are allowed.`);
  branches.forEach((branch, i) => {
    const bAt = pointer(at, 'branches', i);
    if (!c.object(branch, bAt, `${what} branch ${i}`, fields)) return;
    const id = checkId(c, branch, bAt, `${what} branch ${i}`, seen, 'duplicate_branch_id', 'branch');
    each(branch, bAt, `Branch "${id ?? i}" of ${what.toLowerCase()}`);
  });
}

function checkDuration(c: Checker, obj: Obj, key: string, at: string, what: string): void {
  if (!c.required(obj, key, at, what)) return;
  const parsed = parseDuration(obj[key]);
  if (!parsed.ok) c.add(pointer(at, key), 'invalid_duration', `${what} "${key}": ${parsed.reason}.`);
}

function checkSend(c: Checker, send: Obj, at: string, what: string, refs: Refs): void {
  const destination = c.string(send, 'destination', at, what, { required: true });
  if (destination !== undefined) refs.destinations.push({ id: destination, path: pointer(at, 'destination') });
  const eventName = c.string(send, 'eventName', at, what, { required: true });
  if (eventName !== undefined && (eventName.length === 0 || eventName.length > 200)) {
    c.add(pointer(at, 'eventName'), 'invalid_event_name', `${what} "eventName" must be a non-empty string of at most 200 characters.`);
  }
  const traits = c.array(send, 'traits', at, what);
  traits?.forEach((trait, i) => {
    if (typeof trait !== 'string' || trait.length === 0) c.add(pointer(at, 'traits', i), 'invalid_type', `A trait name must be a non-empty string, not ${describe(trait)}.`);
  });
  if (send.mapping !== undefined) {
    for (const issue of validateMapping(send.mapping, pointer(at, 'mapping'))) c.issues.push(issue);
  }
}

function checkExitRules(c: Checker, value: unknown, refs: Refs, hasIdentifier: boolean): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    c.add('/exitRules', 'invalid_type', `"exitRules" must be an array, not ${describe(value)}.`);
    return;
  }
  value.forEach((rule, i) => {
    const at = pointer('/exitRules', i);
    if (!c.object(rule, at, `Exit rule ${i}`, ['event', 'filters', 'matchUniqueIdentifier', 'send'])) return;
    checkEventName(c, rule, at, `Exit rule ${i}`);
    checkFilters(c, rule.filters, pointer(at, 'filters'));
    if (c.boolean(rule, 'matchUniqueIdentifier', at, `Exit rule ${i}`) === true && !hasIdentifier) {
      c.add(pointer(at, 'matchUniqueIdentifier'), 'match_unique_identifier_without_identifier', 'matchUniqueIdentifier needs entry.uniqueIdentifier to compare against.');
    }
    if (rule.send !== undefined && c.object(rule.send, pointer(at, 'send'), `Exit rule ${i} send`, ['destination', 'eventName', 'traits', 'mapping'])) {
      checkSend(c, rule.send, pointer(at, 'send'), `Exit rule ${i} send`, refs);
    }
  });
}

function checkKnown(c: Checker, used: { id: string; path: string }[], known: Iterable<string> | undefined, code: 'unknown_destination' | 'unknown_audience', kind: string): void {
  if (!known) return;
  const ids = new Set(known);
  for (const ref of used) {
    if (!ids.has(ref.id)) c.add(ref.path, code, `No ${kind} has the id "${ref.id}"${ids.size ? ` (known: ${[...ids].join(', ')})` : ''}.`);
  }
}
