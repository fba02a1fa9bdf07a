/**
 * The LMDB environment of a data directory: one environment, one named database per kind of
 * record, values packed with msgpackr (lmdb-js's default encoding). Keys of per-profile state
 * start with the shard, so that a shard's state is a key range.
 *
 * The data directory carries a format version and its shard count; opening it with another
 * shard count refuses, since every key and instance id depends on it.
 */
import { mkdirSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { JourneysError } from '../errors.js';

export const FORMAT_VERSION = 1;

export type Durability = 'committed' | 'fsync';

export interface StoreOptions {
  dataDir: string;
  shards: number;
  durability: Durability;
}

export class Store {
  readonly env: RootDatabase;
  /** format, shards, sequences */
  readonly meta: Database;
  /** [journeyId, version] → StoredVersion */
  readonly journeys: Database;
  /** [shard, profileKey] → ProfileRecord */
  readonly profiles: Database;
  /** [shard, instanceId] → InstanceRecord (active and ended, until retention purges it) */
  readonly instances: Database;
  /** [journeyId, instanceId] → status: the instances of a journey, for listing */
  readonly journeyInstances: Database;
  /** [shard, due, instanceId] → profileKey: the due-time index, each waiting instance under its next deadline */
  readonly timers: Database;
  /** [shard, bucket, messageId] → 1: dedupe, in time buckets that expire whole */
  readonly dedupe: Database;
  /** [anonymousId] → userId */
  readonly links: Database;
  /** [audienceId] → AudienceDefinition */
  readonly audiences: Database;
  /** [seq] → OutboxRecord */
  readonly outbox: Database;
  /** [seq] → dead letter */
  readonly deadLetters: Database;
  /** [shard, profileKey, slot] → entry trace (a bounded ring per profile) */
  readonly traces: Database;
  /** [journeyId, version, stepId, counter] → number */
  readonly counters: Database;
  /** [endedAt, instanceId] → shard: ended instances, for retention */
  readonly ended: Database;
  /** [id] → destination definition */
  readonly destinations: Database;

  private constructor(env: RootDatabase) {
    this.env = env;
    const db = (name: string) => env.openDB({ name });
    // Many records of one shape: msgpackr's shared structures (record definitions kept once,
    // under a symbol key outside the ranges the engine reads) make them smaller and faster.
    const structured = (name: string) => env.openDB({ name, sharedStructuresKey: Symbol.for('structures') });
    this.meta = db('meta');
    this.journeys = db('journeys');
    this.profiles = structured('profiles');
    this.instances = structured('instances');
    this.journeyInstances = db('journey-instances');
    this.timers = db('timers');
    this.dedupe = db('dedupe');
    this.links = db('links');
    this.audiences = db('audiences');
    this.outbox = structured('outbox');
    this.deadLetters = db('dead-letters');
    this.traces = structured('traces');
    this.counters = db('counters');
    this.ended = db('ended');
    this.destinations = db('destinations');
  }

  static open(options: StoreOptions): Store {
    mkdirSync(options.dataDir, { recursive: true });
    const env = open({
      path: options.dataDir,
      // committed: a commit survives a crash of the process (the OS has the pages);
      // fsync: it also survives a crash of the OS.
      noSync: options.durability === 'committed',
      maxDbs: 32,
      mapSize: 2 ** 34,
    });
    const store = new Store(env);
    store.checkFormat(options.shards);
    return store;
  }

  private checkFormat(shards: number): void {
    const format = this.meta.get('format') as number | undefined;
    const existingShards = this.meta.get('shards') as number | undefined;
    if (format === undefined) {
      this.meta.putSync('format', FORMAT_VERSION);
      this.meta.putSync('shards', shards);
      return;
    }
    if (format > FORMAT_VERSION) {
      throw new JourneysError('JRN_DATA_FORMAT', `The data directory has format ${format}; this build reads up to ${FORMAT_VERSION}. Upgrade journeys.`);
    }
    if (existingShards !== shards) {
      throw new JourneysError('JRN_SHARD_MISMATCH', `The data directory was created with ${existingShards} shards; starting it with ${shards} would move every profile. Start with --shards ${existingShards} (the shard count is fixed when a data directory is created).`);
    }
  }


  async close(): Promise<void> {
    await this.env.close();
  }
}

export type { Database };
