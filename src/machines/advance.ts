/**
 * Advancing an instance with XState's pure transition, with the returned actions turned into
 * effect data: timers to set or cancel, sends, the end. No live actor per instance.
 *
 * `xstate.transition()` builds a fresh inert actor (and so the machine's initial state) on every
 * call; this module reuses one inert scope per machine and calls `machine.transition` directly,
 * which is what the public function does after that setup. The XState version is pinned in
 * package.json and a test checks that both paths give the same snapshots and actions.
 */
import { createActor, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import type { SendParams } from './compile.js';
import type { EndReason, MachineEvent, MachineInput } from './machine-types.js';

export type MachineEffect =
  | { kind: 'timer'; id: string; delayMs: number; eventType: string }
  | { kind: 'cancel'; id: string }
  | { kind: 'send'; params: SendParams }
  | { kind: 'end'; reason: EndReason };

export interface Advanced {
  snapshot: AnyMachineSnapshot;
  effects: MachineEffect[];
  /** Whether the event was taken (a transition happened). */
  changed: boolean;
}

interface ActionLike {
  type: string;
  params?: unknown;
}

export class MachineRunner {
  private readonly collected: ActionLike[] = [];
  private readonly scope: unknown;

  constructor(readonly machine: AnyStateMachine) {
    const self = createActor(machine);
    this.scope = {
      self,
      defer: () => {},
      id: '',
      logger: () => {},
      sessionId: '',
      stopChild: () => {},
      system: self.system,
      emit: () => {},
      actionExecutor: (action: ActionLike) => { this.collected.push(action); },
    };
  }

  start(input: MachineInput): Advanced {
    this.collected.length = 0;
    const snapshot = this.machine.getInitialSnapshot(this.scope as never, input);
    return { snapshot, effects: toEffects(this.collected.splice(0)), changed: true };
  }

  next(snapshot: AnyMachineSnapshot, event: MachineEvent): Advanced {
    this.collected.length = 0;
    const next = this.machine.transition(snapshot, event as never, this.scope as never);
    return { snapshot: next, effects: toEffects(this.collected.splice(0)), changed: next !== snapshot };
  }

  /** Rebuilds a snapshot from what an instance record stores: the state value and the context. */
  restore(value: unknown, context: unknown): AnyMachineSnapshot {
    return this.machine.resolveState({ value: value as never, context: context as never });
  }
}

export function toEffects(actions: readonly ActionLike[]): MachineEffect[] {
  const effects: MachineEffect[] = [];
  for (const action of actions) {
    const params = action.params as Record<string, unknown> | undefined;
    switch (action.type) {
      case 'xstate.raise':
        if (params && typeof params.delay === 'number') {
          effects.push({ kind: 'timer', id: String(params.id), delayMs: params.delay, eventType: (params.event as { type: string }).type });
        }
        break;
      case 'xstate.cancel':
        effects.push({ kind: 'cancel', id: String(params?.sendId) });
        break;
      case 'send':
        effects.push({ kind: 'send', params: params as unknown as SendParams });
        break;
      case 'end':
        effects.push({ kind: 'end', reason: params?.reason as EndReason });
        break;
    }
  }
  return effects;
}
