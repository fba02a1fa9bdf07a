/**
 * The journey definition, as journey.md gives it. These types describe a definition that passed
 * validation; `validateJourney` takes `unknown` and proves it has this shape.
 */
import type { Mapping } from '../mapping/types.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One operator per filter; `property` is a dotted path under the event's `properties`. */
export interface FilterOperators {
  equals?: JsonValue;
  equalsAnyOf?: JsonValue[];
  notEquals?: JsonValue;
  exists?: boolean;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  contains?: JsonValue;
}

export const FILTER_OPERATORS = ['equals', 'equalsAnyOf', 'notEquals', 'exists', 'gt', 'gte', 'lt', 'lte', 'contains'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export interface Filter extends FilterOperators {
  property: string;
}

export type Condition =
  | ({ trait: string } & FilterOperators)
  | ({ context: string } & FilterOperators)
  | { audience: string; member: boolean }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export type Reentry = 'once' | 'every_time';

export interface Entry {
  event: string;
  filters?: Filter[];
  audience?: string;
  reentry?: Reentry;
  uniqueIdentifier?: string;
}

export interface DelayStep {
  id: string;
  type: 'delay';
  duration: string;
  next: string | null;
}

export interface HoldBranch {
  id: string;
  event: string;
  filters?: Filter[];
  alias?: string;
  next: string | null;
}

export interface HoldUntilStep {
  id: string;
  type: 'hold_until';
  branches: HoldBranch[];
  maxDuration: string;
  timeoutNext: string | null;
  restartOnEntryEvent?: boolean;
}

export interface DataSplitBranch {
  id: string;
  when: Condition;
  next: string | null;
}

export interface DataSplitStep {
  id: string;
  type: 'data_split';
  branches: DataSplitBranch[];
  otherwise: string | null;
}

export interface RandomSplitBranch {
  id: string;
  percent: number;
  next: string | null;
}

export interface RandomSplitStep {
  id: string;
  type: 'random_split';
  branches: RandomSplitBranch[];
  sticky?: boolean;
}

export interface SendFields {
  destination: string;
  eventName: string;
  traits?: string[];
  mapping?: Mapping;
}

export interface SendStep extends SendFields {
  id: string;
  type: 'send';
  next: string | null;
}

export interface ExitStep {
  id: string;
  type: 'exit';
}

export type Step = DelayStep | HoldUntilStep | DataSplitStep | RandomSplitStep | SendStep | ExitStep;
export type StepType = Step['type'];
export const STEP_TYPES: readonly StepType[] = ['delay', 'hold_until', 'data_split', 'random_split', 'send', 'exit'];

export interface ExitRule {
  event: string;
  filters?: Filter[];
  matchUniqueIdentifier?: boolean;
  send?: SendFields;
}

export interface JourneyDefinition {
  id: string;
  name?: string;
  description?: string;
  entry: Entry;
  start: string;
  steps: Step[];
  exitRules?: ExitRule[];
}
