/**
 * Checks over the step graph, once the steps have a usable shape: references to unknown steps,
 * steps the start cannot reach, and cycles that do not pass through a delay or hold_until.
 */
import type { Checker } from './checker.js';
import { pointer } from './json-pointer.js';

export interface GraphStep {
  id: string;
  index: number;
  wait: boolean;
  /** Outgoing references with the pointer of each (null ends the instance). */
  edges: { to: string | null; path: string }[];
}

export function checkGraph(c: Checker, steps: GraphStep[], start: { id: string; path: string } | undefined): void {
  const byId = new Map<string, GraphStep>();
  for (const step of steps) if (!byId.has(step.id)) byId.set(step.id, step);

  for (const step of steps) {
    for (const edge of step.edges) {
      if (edge.to !== null && !byId.has(edge.to)) c.add(edge.path, 'unknown_step', `No step has the id "${edge.to}".`);
    }
  }
  if (!start) return;
  if (!byId.has(start.id)) {
    c.add(start.path, 'unknown_step', `The start step "${start.id}" does not exist.`);
    return;
  }

  const reached = new Set<string>([start.id]);
  const queue = [start.id];
  while (queue.length > 0) {
    for (const edge of byId.get(queue.pop()!)!.edges) {
      if (edge.to !== null && byId.has(edge.to) && !reached.has(edge.to)) {
        reached.add(edge.to);
        queue.push(edge.to);
      }
    }
  }
  for (const step of byId.values()) {
    if (!reached.has(step.id)) c.add(pointer('/steps', step.index), 'unreachable_step', `No path from the start step "${start.id}" leads to step "${step.id}".`);
  }

  findZeroTimeCycles(c, byId);
}

/** A depth-first search over the steps that take no time; a back edge closes a zero-time cycle. */
function findZeroTimeCycles(c: Checker, byId: Map<string, GraphStep>): void {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (step: GraphStep, trail: string[]): void => {
    state.set(step.id, 'open');
    for (const edge of step.edges) {
      const next = edge.to === null ? undefined : byId.get(edge.to);
      if (!next || next.wait) continue;
      const seen = state.get(next.id);
      if (seen === 'open') {
        const cycle = [...trail.slice(trail.indexOf(next.id)), step.id, next.id].filter((id, i, all) => i === 0 || id !== all[i - 1]);
        c.add(edge.path, 'zero_time_cycle', `Steps ${cycle.join(' → ')} form a cycle with no delay or hold_until, which would loop without time passing.`);
      } else if (seen === undefined) {
        visit(next, [...trail, step.id]);
      }
    }
    state.set(step.id, 'done');
  };
  for (const step of byId.values()) if (!step.wait && !state.has(step.id)) visit(step, []);
}
