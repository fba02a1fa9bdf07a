/** What goes in and out of a compiled journey machine. */

/** An event as the journey context keeps it: exactly these fields, as sent. */
export interface JourneyEvent {
  event: string;
  properties: Record<string, unknown>;
  timestamp: string;
  messageId: string;
}

export type EndReason = 'completed' | 'exited' | 'expired' | 'terminated';

/** What a guard may know of the world at the moment of a transition; never stored. */
export interface MachineEnv {
  traits: Record<string, unknown>;
  isMember(audienceId: string): boolean;
}

export interface InstanceContext {
  instanceId: string;
  profileKey: string;
  /** The journey context: event name (or branch alias) → the event. */
  journey: Record<string, JourneyEvent>;
  /** The step the instance is at, or the last one it visited once it ended. */
  at: string;
  /** Arrivals per step, from 1. */
  visits: Record<string, number>;
  /** Restarts of the current hold step (restartOnEntryEvent). */
  restarts: number;
}

export interface MachineInput {
  instanceId: string;
  profileKey: string;
  entryEvent: JourneyEvent;
  env: MachineEnv;
}

export type MachineEvent =
  | { type: string; event?: JourneyEvent; env?: MachineEnv }
  | { type: 'xstate.init'; input?: MachineInput };
