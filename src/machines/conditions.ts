/**
 * data_split conditions (journey.md "Conditions"), evaluated over what the instance knows now:
 * the profile's current traits, the journey context and audience membership.
 */
import { applyOperator } from './compare.js';
import { readPath } from './property-path.js';
import type { Condition } from './types.js';

export interface ConditionEnv {
  traits: Record<string, unknown>;
  /** The journey context: event name (or branch alias) → {event, properties, timestamp, messageId}. */
  journeyContext: Record<string, unknown>;
  isMember(audienceId: string): boolean;
}

export function evaluateCondition(condition: Condition, env: ConditionEnv): boolean {
  if ('all' in condition) return condition.all.every((c) => evaluateCondition(c, env));
  if ('any' in condition) return condition.any.some((c) => evaluateCondition(c, env));
  if ('not' in condition) return !evaluateCondition(condition.not, env);
  if ('audience' in condition) return env.isMember(condition.audience) === condition.member;
  if ('trait' in condition) return applyOperator(condition, readPath(env.traits, condition.trait));
  return applyOperator(condition, readContextPath(env.journeyContext, condition.context));
}

/**
 * The first segment is the context key; the key itself may not contain dots (a branch `alias`
 * gives a dotted event name a plain key), so splitting on the first dot is exact.
 */
function readContextPath(journeyContext: Record<string, unknown>, path: string): unknown {
  const dot = path.indexOf('.');
  if (dot < 0) return journeyContext[path];
  const head = journeyContext[path.slice(0, dot)];
  return readPath(head, path.slice(dot + 1));
}
