/** The runtime's settings, with their defaults. The config loader (src/config) fills these from file, env and flags. */
import type { Logger } from 'pino';
import type { Effect } from '../core/types.js';
import type { DestinationConfig, DriverFactory } from '../destinations/types.js';
import type { DeliveryObserver } from '../destinations/dispatcher.js';
import type { AudienceDefinition } from '../profiles/audiences.js';
import type { Bus } from '../transport/bus.js';
import type { Clock } from './clock.js';
import type { ClusterHooks } from './cluster-hooks.js';
import type { Durability } from './store.js';

export interface EngineConfig {
  dataDir: string;
  shards?: number;
  durability?: Durability;
  clock?: Clock;
  logger?: Logger;
  bus?: Bus;
  /** messageId dedupe window (default 24 h). */
  dedupeWindowMs?: number;
  /** Timers due within this horizon are held in the timing wheel (default 10 min). */
  timerHorizonMs?: number;
  timerResolutionMs?: number;
  maxActiveInstancesPerProfile?: number;
  /** Profiles kept in memory per shard; the rest are read from LMDB when needed. */
  maxCachedProfilesPerShard?: number;
  /** Intake refuses with JRN_OVERLOADED when this many events wait for a commit. */
  maxPendingEvents?: number;
  /** Intake refuses with JRN_OVERLOADED when the outbox holds this many sends. */
  maxOutboxDepth?: number;
  /** Ended instances, their timelines and entry traces are kept this long (default 30 d). */
  retentionMs?: number;
  destinations?: DestinationConfig[];
  audiences?: AudienceDefinition[];
  /** Destination types beyond the built-in ones (tests plug recorders in here). */
  drivers?: Record<string, DriverFactory>;
  /** Sees every effect after its commit: metrics, tests. */
  onEffect?: (effect: Effect) => void;
  /** Sees every delivery attempt's outcome: metrics. */
  onDelivery?: DeliveryObserver;
  /** Cluster mode (src/cluster): shard ownership, fencing, the control stream. */
  cluster?: ClusterHooks;
  /** Called once when the engine stops working (a failed commit, a lost fence): the process should exit. */
  onFatal?: (error: Error) => void;
}

export type ResolvedEngineConfig = Required<Omit<EngineConfig, 'bus' | 'onEffect' | 'onDelivery' | 'logger' | 'cluster' | 'onFatal'>> & Pick<EngineConfig, 'bus' | 'onEffect' | 'onDelivery' | 'logger' | 'cluster' | 'onFatal'>;

export function withDefaults(config: EngineConfig, clock: Clock): ResolvedEngineConfig {
  return {
    shards: 64,
    durability: 'committed',
    dedupeWindowMs: 24 * 3_600_000,
    timerHorizonMs: 10 * 60_000,
    timerResolutionMs: 10,
    maxActiveInstancesPerProfile: 25,
    maxCachedProfilesPerShard: 500,
    maxPendingEvents: 50_000,
    maxOutboxDepth: 1_000_000,
    retentionMs: 30 * 86_400_000,
    destinations: [],
    audiences: [],
    drivers: {},
    ...config,
    clock,
  };
}
