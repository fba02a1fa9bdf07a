/**
 * The management API's reads (and the few writes that touch one profile or dead letter), as one
 * asynchronous interface: embedded mode answers from this process; cluster mode
 * (src/cluster/queries.ts) routes a question about one profile or instance to the worker that
 * holds its shard, and asks every worker for lists and counts.
 */
import type { DeadLetter, OutboxRecord } from '../destinations/types.js';
import type { InstanceStatus } from '../core/types.js';
import type { EngineQueries, EntryTrace, Page } from './engine-queries.js';
import type { StoredInstance } from './records.js';

export type JourneyView = ReturnType<EngineQueries['getJourney']>;
export type InstanceView = ReturnType<EngineQueries['getInstance']>;
export type ProfileView = ReturnType<EngineQueries['getProfile']>;
/** A dead letter; in cluster mode its id is `<worker>.<seq>` (each worker has its own outbox). */
export type DeadLetterView = Omit<DeadLetter, 'id'> & { id: number | string };

export interface Queries {
  getJourney(id: string): Promise<JourneyView>;
  listInstances(journeyId: string, query: { userId?: string; status?: InstanceStatus; limit?: number; cursor?: string }): Promise<Page<StoredInstance>>;
  getInstance(instanceId: string): Promise<InstanceView>;
  getProfile(key: string): Promise<ProfileView>;
  getTraces(key: string, query: { journey?: string; limit?: number }): Promise<EntryTrace[]>;
  deleteProfile(key: string): Promise<{ instances: number; sends: number }>;
  listDeadLetters(query: { destination?: string; limit?: number; cursor?: string }): Promise<Page<DeadLetterView>>;
  redrive(id: string): Promise<Pick<OutboxRecord, 'messageId'>>;
  redriveAll(destination?: string): Promise<number>;
  /** Adds or removes profiles of a managed audience (cluster mode: on the workers holding their shards). */
  setMembers(audienceId: string, profileKeys: string[], member: boolean): Promise<void>;
}

interface LocalEngine extends EngineQueries {
  deleteProfile(key: string): Promise<{ instances: number; sends: number }>;
  setMembers(audienceId: string, profileKeys: string[], member: boolean): Promise<void>;
}

/** This process's answers. */
export function localQueries(engine: LocalEngine): Queries {
  return {
    getJourney: async (id) => engine.getJourney(id),
    listInstances: async (journeyId, query) => engine.listInstances(journeyId, query),
    getInstance: async (id) => engine.getInstance(id),
    getProfile: async (key) => engine.getProfile(key),
    getTraces: async (key, query) => engine.getTraces(key, query),
    deleteProfile: (key) => engine.deleteProfile(key),
    listDeadLetters: async (query) => engine.listDeadLetters(query),
    redrive: async (id) => engine.redrive(Number(id)),
    redriveAll: (destination) => engine.redriveAll(destination),
    setMembers: (audienceId, keys, member) => engine.setMembers(audienceId, keys, member),
  };
}
