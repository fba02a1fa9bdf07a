/**
 * What the engine asks of cluster mode (src/cluster implements it). Without hooks the engine is
 * embedded: it holds every shard, fires every timer, applies management changes at once.
 */
import type { AudienceDefinition } from '../profiles/audiences.js';
import type { DestinationConfig } from '../destinations/types.js';

/** A management change, applied by every worker in the order of the control stream. */
export type ControlOp =
  | { op: 'publish'; definition: unknown }
  | { op: 'draft'; definition: unknown }
  | { op: 'publishDraft'; id: string }
  | { op: 'archive'; id: string; terminate: boolean }
  | { op: 'putDestination'; config: DestinationConfig }
  | { op: 'removeDestination'; id: string }
  | { op: 'putAudience'; audience: AudienceDefinition };

export interface ClusterHooks {
  /** True while this worker holds the shard's lease (replaying its stream or live). */
  holds(shard: number): boolean;
  /** True once the held shard has caught up with its stream. */
  live(shard: number): boolean;
  /** May a timer of this (live) shard due at `due` fire now, or may an event stamped before `due` still be on its way? */
  mayFire(shard: number, due: number, now: number): boolean;
  /**
   * Checked before each commit: resolves when every shard the batch applied is still safely
   * leased (renewing a lease whose margin ran out, e.g. after a long pause); rejects otherwise.
   */
  fence(shards: ReadonlySet<number>): void | Promise<void>;
  /** Sends a management change to every worker; resolves with this worker's result of applying it. */
  submit(op: ControlOp): Promise<unknown>;
  /** Shares a new identity link with every worker (before the event that made it is published). */
  link(anonymousId: string, userId: string): Promise<void>;
  status(): { nats: string; worker: string; owned: number[] };
}
