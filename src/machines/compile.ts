/**
 * Compiles a valid journey definition to an XState v5 machine (`setup()` with named guards and
 * actions). One state per step, keyed by the step id; four final states for the ends, whose
 * keys start with `$` so they never collide with a step id.
 *
 * Time is data here: `after` delays become `xstate.raise` actions with a `delay` that the caller
 * turns into timers, and leaving a waiting state yields `xstate.cancel`. Sends are `send` actions
 * whose params carry everything the payload needs. The machine reads no clock and does no I/O.
 */
import { assign, setup, type AnyStateMachine } from 'xstate';
import { evaluateCondition } from './conditions.js';
import { durationMs } from './duration.js';
import { matchesFilters } from './filters.js';
import { randomBucket } from './hashing.js';
import type { HoldUntilStep, JourneyDefinition, SendFields, Step } from './types.js';
import type { EndReason, InstanceContext, JourneyEvent, MachineEnv, MachineEvent, MachineInput } from './machine-types.js';

export const MACHINE_ID = 'j';
export const EXPIRY_MS = 365 * 86_400_000;
export const MAX_RESTARTS = 100;
const END_STATE: Record<EndReason, string> = { completed: '$completed', exited: '$exited', expired: '$expired', terminated: '$terminated' };

/** Event types the engine sends into a compiled machine. */
export const trackEventType = (eventName: string): string => `e:${eventName}`;
export const exitEventType = (ruleIndex: number): string => `jrn.exit.${ruleIndex}`;
export const RESTART_EVENT = 'jrn.restart';
export const TERMINATE_EVENT = 'jrn.terminate';

/** Send action params, resolved when the action is: the step, the visit and the context then. */
export interface SendParams {
  step: string;
  visit: number;
  journeyContext: Record<string, JourneyEvent>;
  send: SendFields;
}

export function compileMachine(definition: JourneyDefinition): AnyStateMachine {
  const steps = new Map<string, Step>(definition.steps.map((s) => [s.id, s]));
  const target = (next: string | null): string => `#${MACHINE_ID}.${next === null ? END_STATE.completed : next}`;
  const envOf = (event: MachineEvent): MachineEnv | undefined => ('env' in event ? event.env : undefined) ?? (event as { input?: MachineInput }).input?.env;

  const sendAction = (stepId: string, send: SendFields) => ({
    type: 'send' as const,
    params: ({ context }: { context: InstanceContext }): SendParams => ({ step: stepId, visit: context.visits[stepId] ?? 1, journeyContext: context.journey, send }),
  });
  const visit = (stepId: string) => ({ type: 'visit' as const, params: { step: stepId } });

  const states: Record<string, object> = {};
  for (const step of definition.steps) states[step.id] = stepState(step);
  for (const [reason, key] of Object.entries(END_STATE)) states[key] = { type: 'final', entry: { type: 'end', params: { reason } } };

  function stepState(step: Step): object {
    switch (step.type) {
      case 'delay':
        return { entry: visit(step.id), after: { [durationMs(step.duration)]: target(step.next) } };
      case 'hold_until':
        return holdState(step);
      case 'data_split':
        return {
          entry: visit(step.id),
          always: [
            ...step.branches.map((branch, i) => ({ guard: { type: 'condition', params: { step: step.id, branch: i } }, target: target(branch.next) })),
            { target: target(step.otherwise) },
          ],
        };
      case 'random_split': {
        let from = 0;
        return {
          entry: visit(step.id),
          always: step.branches.map((branch) => {
            const range = { from, to: from + branch.percent };
            from = range.to;
            return { guard: { type: 'bucket', params: { step: step.id, sticky: step.sticky === true, ...range } }, target: target(branch.next) };
          }),
        };
      }
      case 'send':
        return { entry: [visit(step.id), sendAction(step.id, step)], always: target(step.next) };
      case 'exit':
        return { entry: visit(step.id), always: target(null) };
    }
  }

  // The waiting is a child state so that a restart re-enters only it: the timer starts over
  // without counting as a new arrival at the step.
  function holdState(step: HoldUntilStep): object {
    const on: Record<string, object[]> = {};
    step.branches.forEach((branch, i) => {
      const type = trackEventType(branch.event);
      (on[type] ??= []).push({
        guard: { type: 'branchFilters', params: { step: step.id, branch: i } },
        target: target(branch.next),
        actions: { type: 'remember', params: { key: branch.alias ?? branch.event } },
      });
    });
    // Defined on the child, so that re-entering it leaves the step itself (and its visit count) alone.
    const restart = step.restartOnEntryEvent ? { [RESTART_EVENT]: { guard: 'canRestart', target: 'waiting', reenter: true, actions: 'restart' } } : {};
    return {
      entry: [visit(step.id), 'resetRestarts'],
      initial: 'waiting',
      states: { waiting: { after: { [durationMs(step.maxDuration)]: target(step.timeoutNext) }, on: restart } },
      on,
    };
  }

  const exitOn: Record<string, object> = {};
  (definition.exitRules ?? []).forEach((rule, i) => {
    const actions: object[] = [{ type: 'remember', params: { key: rule.event } }];
    if (rule.send) actions.push(sendAction(`exit-${i}`, rule.send));
    exitOn[exitEventType(i)] = { target: `#${MACHINE_ID}.${END_STATE.exited}`, actions };
  });

  return setup({
    types: {} as { context: InstanceContext; events: MachineEvent; input: MachineInput },
    actions: {
      visit: assign(({ context }, params: { step: string }) => ({ at: params.step, visits: { ...context.visits, [params.step]: (context.visits[params.step] ?? 0) + 1 } })),
      remember: assign(({ context, event }, params: { key: string }) => {
        const journeyEvent = 'event' in event ? event.event : undefined;
        return journeyEvent ? { journey: { ...context.journey, [params.key]: journeyEvent } } : {};
      }),
      resetRestarts: assign({ restarts: 0 }),
      restart: assign(({ context, event }) => {
        const journeyEvent = 'event' in event ? event.event : undefined;
        return { restarts: context.restarts + 1, journey: journeyEvent ? { ...context.journey, [definition.entry.event]: journeyEvent } : context.journey };
      }),
      // Executed by the caller: they are the effects of a transition, returned as data.
      send: () => {},
      end: () => {},
    },
    guards: {
      branchFilters: ({ event }, params: { step: string; branch: number }) => {
        const step = steps.get(params.step) as HoldUntilStep;
        return 'event' in event && event.event !== undefined && matchesFilters(step.branches[params.branch]!.filters, event.event.properties);
      },
      condition: ({ context, event }, params: { step: string; branch: number }) => {
        const env = envOf(event);
        const step = steps.get(params.step);
        if (!env || step?.type !== 'data_split') return false;
        return evaluateCondition(step.branches[params.branch]!.when, { traits: env.traits, journeyContext: context.journey, isMember: env.isMember });
      },
      bucket: ({ context }, params: { step: string; sticky: boolean; from: number; to: number }) => {
        const key = params.sticky
          ? `${context.profileKey}/${definition.id}/${params.step}`
          : `${context.instanceId}/${params.step}/${context.visits[params.step] ?? 1}`;
        const bucket = randomBucket(key);
        return bucket >= params.from && bucket < params.to;
      },
      canRestart: ({ context }) => context.restarts < MAX_RESTARTS,
    },
  }).createMachine({
    id: MACHINE_ID,
    // createActor evaluates the initial state once without input; give it an inert context.
    context: ({ input }: { input: MachineInput | undefined }) => ({
      instanceId: input?.instanceId ?? '',
      profileKey: input?.profileKey ?? '',
      journey: input ? { [definition.entry.event]: input.entryEvent } : {},
      visits: {},
      at: definition.start,
      restarts: 0,
    }),
    initial: definition.start,
    after: { [EXPIRY_MS]: `#${MACHINE_ID}.${END_STATE.expired}` },
    on: { ...exitOn, [TERMINATE_EVENT]: { target: `#${MACHINE_ID}.${END_STATE.terminated}` } },
    states,
  } as never) as unknown as AnyStateMachine;
}
