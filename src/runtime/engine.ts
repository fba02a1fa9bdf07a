/**
 * The engine in one process: intake → bus → shards (the deterministic core) → group commit to
 * LMDB → outbox → dispatcher. `createEngine(config)` opens the data directory, recovers (journeys,
 * timers, pending sends) and starts the clocks.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { EventShapeError, normalizeEvent } from '../core/event.js';
import type { CoreEnv, Effect, IncomingEvent } from '../core/types.js';
import { Dispatcher } from '../destinations/dispatcher.js';
import { DestinationRegistry } from '../destinations/registry.js';
import { JourneysError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { shardOf } from '../machines/hashing.js';
import { previewSends } from '../core/preview.js';
import { AudienceBook } from '../profiles/audiences.js';
import { profileKeyOf, type IdentityLinks } from '../profiles/identity.js';
import { routeNormalized } from '../transport/route.js';
import { MemoryBus, type Bus, type ShardMessage, type ShardOutcome } from '../transport/bus.js';
import { systemClock, type Clock } from './clock.js';
import { Committer } from './committer.js';
import { Counters } from './counters.js';
import { Dedupe } from './dedupe.js';
import { withDefaults, type EngineConfig, type ResolvedEngineConfig } from './engine-config.js';
import { EngineQueries } from './engine-queries.js';
import { JourneyRegistry } from './journey-registry.js';
import { Shard } from './shard.js';
import { Store } from './store.js';
import { TimerService, type DueTimer } from './timer-service.js';
import type { ClusterHooks, ControlOp } from './cluster-hooks.js';
import type { DestinationConfig } from '../destinations/types.js';
import type { AudienceDefinition } from '../profiles/audiences.js';
import { localQueries, type Queries } from './queries.js';
import { appliedKey, appliedSeq, exportShards, importShard, readExport } from './shard-export.js';

export interface IngestResult {
  duplicate: boolean;
  profileKey: string;
  shard: number;
  messageId: string;
}

export class Engine extends EngineQueries {
  private readonly bus: Bus;
  private readonly timers: TimerService;
  private readonly dedupe: Dedupe;
  private readonly links = new Map<string, string>();
  private readonly maintenance: NodeJS.Timeout[] = [];
  private outboxSeq: number;
  private closed = false;
  private interest = new Set<string>();

  private constructor(readonly config: ResolvedEngineConfig, store: Store, readonly logger: Logger) {
    const clock = config.clock;
    // Built before `this` exists; the registry asks for the known ids lazily.
    const known = { destinations: (): string[] => [], audiences: (): string[] => [] };
    const cluster = config.cluster;
    const committer = new Committer(
      store,
      (error) => {
        logger.fatal({ err: error }, 'storage commit failed; the engine refuses further work until restarted');
        config.onFatal?.(error);
      },
      cluster ? (batch) => cluster.fence(batch.shards) : undefined,
    );
    const counters = new Counters(store);
    const audiences = new AudienceBook(config.audiences);
    const registry = new JourneyRegistry(store, () => ({ destinations: known.destinations(), audiences: known.audiences() }), () => clock.now());
    const dispatcher = new Dispatcher(store, committer, counters, clock, config.onDelivery);
    const destinations = new DestinationRegistry(store, dispatcher, config.drivers, logger);
    const core: CoreEnv = { catalog: registry.catalog, audiences, config: { shards: config.shards, maxActiveInstancesPerProfile: config.maxActiveInstancesPerProfile } };
    super({ store, registry, committer, counters, audiences, destinations, dispatcher, core, clock });
    known.destinations = () => destinations.ids();
    known.audiences = () => audiences.ids();
    this.dedupe = new Dedupe(store, config.dedupeWindowMs);
    this.outboxSeq = (store.meta.get('seq:outbox') as number | undefined) ?? 0;
    for (const { key } of store.outbox.getRange({ reverse: true, limit: 1 })) this.outboxSeq = Math.max(this.outboxSeq, (key as [number])[0]);
    for (const { key } of store.deadLetters.getRange({ reverse: true, limit: 1 })) this.outboxSeq = Math.max(this.outboxSeq, (key as [number])[0]);
    this.timers = new TimerService(store, clock, { horizonMs: config.timerHorizonMs, resolutionMs: config.timerResolutionMs, shards: config.shards, ...(cluster ? { holds: (shard: number) => cluster.holds(shard) } : {}) }, (timer) => this.onTimer(timer));
    for (let index = 0; index < config.shards; index++) {
      this.shards.push(new Shard(index, {
        store, core, committer, counters, dedupe: this.dedupe, timers: this.timers,
        deliver: (records) => { for (const record of records) dispatcher.enqueue(record); },
        nextOutboxSeq: () => ++this.outboxSeq,
        interesting: (name) => this.interest.has(name),
        maxCachedProfiles: config.maxCachedProfilesPerShard,
      }));
    }
    this.bus = config.bus ?? new MemoryBus();
    this.bus.subscribe((shard, message) => this.apply(shard, message));
  }

  static async create(input: EngineConfig): Promise<Engine> {
    const clock: Clock = input.clock ?? systemClock;
    const config = withDefaults(input, clock);
    if (!Number.isInteger(config.shards) || config.shards < 1 || config.shards > 4096) {
      throw new JourneysError('JRN_SHARD_MISMATCH', `shards must be an integer from 1 to 4096, not ${config.shards}`);
    }
    const store = Store.open({ dataDir: config.dataDir, shards: config.shards, durability: config.durability });
    const engine = new Engine(config, store, config.logger ?? silentLogger);
    await engine.recover();
    return engine;
  }

  private async recover(): Promise<void> {
    for (const { value } of this.store.audiences.getRange({})) this.audiences.put(value as never);
    for (const audience of this.config.audiences) await super.putAudience(audience); // from the config: every worker has it
    for (const { key, value } of this.store.links.getRange({})) this.links.set((key as [string])[0], value as string);
    await this.destinations.load(this.config.destinations);
    this.registry.load();
    this.refreshInterest();
    this.timers.start();
    this.dispatcher.start();
    const every = (ms: number, task: () => void) => {
      const timer = setInterval(() => {
        try {
          task();
        } catch (error) {
          this.logger.error({ err: error }, 'maintenance task failed');
        }
      }, ms);
      timer.unref();
      this.maintenance.push(timer);
    };
    every(1_000, () => {
      this.counters.flush(this.committer);
      this.committer.batch.put(this.store.meta, 'seq:outbox', this.outboxSeq);
      for (const shard of this.shards) shard.evict();
    });
    every(60_000, () => void this.purgeEnded());
    every(600_000, () => void this.dedupe.expire(this.config.shards, this.config.clock.now()));
  }

  /** Accepts one Segment-shaped event; resolves once its effects are committed. */
  async ingest(raw: unknown, options: { type?: string } = {}): Promise<IngestResult> {
    const arrival = this.config.clock.now();
    const event = this.normalize(raw, arrival, options.type);
    return this.ingestEvent(event, arrival);
  }

  /** All-or-nothing: every event is checked before any is applied. */
  async ingestBatch(raws: unknown[], options: { context?: Record<string, unknown> } = {}): Promise<IngestResult[]> {
    const arrival = this.config.clock.now();
    const events = raws.map((raw, index) => {
      try {
        const merged = options.context && raw && typeof raw === 'object' && !(raw as { context?: unknown }).context ? { ...(raw as object), context: options.context } : raw;
        return this.normalize(merged, arrival);
      } catch (error) {
        if (error instanceof JourneysError) throw new JourneysError('JRN_INVALID_EVENT', `batch[${index}]: ${error.message}`, { details: { index, field: (error.details as { field?: string })?.field } });
        throw error;
      }
    });
    return Promise.all(events.map((event) => this.ingestEvent(event, arrival)));
  }

  private normalize(raw: unknown, arrival: number, type?: string): IncomingEvent {
    try {
      return normalizeEvent(raw, arrival, randomUUID, type);
    } catch (error) {
      if (error instanceof EventShapeError) throw new JourneysError('JRN_INVALID_EVENT', error.message, { details: { field: error.field } });
      throw error;
    }
  }

  private async ingestEvent(event: IncomingEvent, arrival: number): Promise<IngestResult> {
    if (this.closed) throw new JourneysError('JRN_CLOSED');
    if (this.committer.failure) throw this.committer.failure;
    if ((!this.config.cluster && this.committer.pendingEvents >= this.config.maxPendingEvents) || this.dispatcher.depth >= this.config.maxOutboxDepth) {
      throw new JourneysError('JRN_OVERLOADED', 'Intake is over its limits (events waiting for a commit, or sends waiting in the outbox); retry later.');
    }
    const { shard, message } = routeNormalized(event, arrival, this.identityLinks, this.config.shards);
    const link = message.link;
    if (link && this.links.get(link.anonymousId) !== link.userId) {
      // Cluster mode: every worker must resolve the anonymousId the same way before the event is routed.
      if (this.config.cluster) await this.config.cluster.link(link.anonymousId, link.userId);
      this.learnLink(link.anonymousId, link.userId);
    }
    const outcome = await this.bus.publish(shard, message);
    return { duplicate: outcome.duplicate, profileKey: message.profileKey, shard, messageId: event.messageId };
  }

  /** An identity link (from an event here, or from another worker in cluster mode). */
  learnLink(anonymousId: string, userId: string): void {
    if (this.links.get(anonymousId) === userId) return;
    this.links.set(anonymousId, userId);
    this.committer.batch.put(this.store.links, [anonymousId], userId);
  }

  readonly identityLinks: IdentityLinks = { userIdFor: (anonymousId) => this.links.get(anonymousId) };

  /** Resolves an id the way intake does (for queries by userId or anonymousId). */
  resolveProfileKey(id: string): string {
    return this.links.get(id) ?? id;
  }

  private async apply(shard: number, message: ShardMessage): Promise<ShardOutcome> {
    const target = this.shards[shard];
    if (!target) throw new Error(`no shard ${shard}`);
    const batch = this.committer.batch;
    const { duplicate, effects } = target.handleEvent(message.event, message.profileKey, message.arrival);
    this.observe(batch, effects);
    await batch.wait();
    return { duplicate };
  }

  /**
   * Cluster mode: applies one message of a shard's stream (the worker holds the shard's lease).
   * Its sequence is committed with its effects, so a restart or a takeover resumes after it.
   * Returns the batch holding it (the feed waits on it to pace itself).
   */
  applyFromStream(shard: number, seq: number, message: ShardMessage | undefined): { wait(): Promise<void> } {
    const target = this.shards[shard];
    if (!target) throw new Error(`no shard ${shard}`);
    const batch = this.committer.batch;
    batch.shards.add(shard);
    if (message) {
      if (message.link) this.learnLink(message.link.anonymousId, message.link.userId);
      const { effects } = target.handleEvent(message.event, message.profileKey, message.arrival);
      this.observe(batch, effects);
    }
    batch.put(this.store.meta, appliedKey(shard), seq);
    return batch;
  }

  /** Cluster mode: the last stream sequence of the shard whose effects are committed here. */
  appliedSeq(shard: number): number {
    return appliedSeq(this.store, shard);
  }

  /** Cluster mode: the shard's committed state as a blob (with its pending sends, for crash takeovers). */
  async exportShards(list: number[], options: { outbox: boolean }): Promise<Map<number, { bytes: Uint8Array; applied: number }>> {
    await this.committer.drain();
    return exportShards(this.store, list, this.config.shards, this.config.clock.now(), options);
  }

  /** Events applied but not yet committed (a shard feed waits for a commit above a limit). */
  get pendingEvents(): number {
    return this.committer.pendingEvents;
  }

  /** Cluster mode: the last control-stream sequence applied here. */
  controlSeq(): number {
    return (this.store.meta.get('seq:control') as number | undefined) ?? 0;
  }

  recordControl(seq: number): void {
    this.committer.batch.put(this.store.meta, 'seq:control', seq);
  }

  /**
   * Cluster mode: replaces the shard's state by an export when the export is further along the
   * stream than what this data directory holds. Returns the sequence to resume after.
   */
  async importShard(shard: number, bytes: Uint8Array | undefined): Promise<{ imported: boolean; applied: number }> {
    await this.committer.drain();
    const local = this.appliedSeq(shard);
    if (!bytes) return { imported: false, applied: local };
    const data = readExport(bytes, this.config.shards);
    if (data.shard !== shard || data.applied <= local) return { imported: false, applied: local };
    const sends = await importShard(this.store, data, () => ++this.outboxSeq);
    this.shards[shard]!.reset();
    for (const record of sends) this.dispatcher.enqueue(record);
    return { imported: true, applied: data.applied };
  }

  /** Cluster mode: the shard was taken over; its timers join the wheel (they fire once the shard is live). */
  adoptShard(shard: number): void {
    this.shards[shard]!.reset();
    this.timers.loadShard(shard);
  }

  /** Cluster mode: the shard moves away; what it applied is committed and its profiles leave memory. */
  async dropShard(shard: number): Promise<void> {
    await this.committer.drain();
    this.shards[shard]!.reset();
  }

  private onTimer(timer: DueTimer): void {
    if (this.closed || this.committer.failure) return;
    const cluster = this.config.cluster;
    if (cluster) {
      if (!cluster.holds(timer.shard)) return; // not ours (any more): adoptShard reloads it
      const now = this.config.clock.now();
      if (!cluster.mayFire(timer.shard, timer.due, now)) {
        this.timers.later(timer, now);
        return;
      }
    }
    const batch = this.committer.batch;
    if (cluster) batch.shards.add(timer.shard);
    const effects = this.shards[timer.shard]!.handleTimer(timer, this.config.clock.now());
    this.observe(batch, effects);
  }

  private observe(batch: { afterCommit: (() => void)[] }, effects: Effect[]): void {
    const onEffect = this.config.onEffect;
    if (onEffect && effects.length > 0) batch.afterCommit.push(() => { for (const effect of effects) onEffect(effect); });
  }

  /** The management API's reads: this process's (embedded), or routed across workers (cluster mode sets them). */
  queries: Queries = localQueries(this);

  protected override visible(shard: number): boolean {
    return this.config.cluster ? this.config.cluster.holds(shard) : true;
  }

  /** Publishes a definition (validated; unchanged → same version). */
  async publish(definition: unknown): Promise<Awaited<ReturnType<JourneyRegistry['publish']>>> {
    if (this.config.cluster) {
      // Unchanged here means unchanged everywhere that has applied the control stream this far.
      const unchanged = this.registry.unchanged(definition);
      if (unchanged) return { version: unchanged, unchanged: true };
      return this.config.cluster.submit({ op: 'publish', definition }) as never;
    }
    return this.publishLocally(definition);
  }

  private async publishLocally(definition: unknown) {
    const result = await this.registry.publish(definition);
    this.refreshInterest();
    return result;
  }

  /** Validates and stores a draft; nothing runs until it is published. */
  async saveDraft(definition: unknown): Promise<Awaited<ReturnType<JourneyRegistry['saveDraft']>>> {
    if (this.config.cluster) return this.config.cluster.submit({ op: 'draft', definition }) as never;
    return this.registry.saveDraft(definition);
  }

  async publishDraft(id: string): Promise<Awaited<ReturnType<JourneyRegistry['publish']>>> {
    if (this.config.cluster) return this.config.cluster.submit({ op: 'publishDraft', id }) as never;
    return this.publishDraftLocally(id);
  }

  private async publishDraftLocally(id: string) {
    const result = await this.registry.publishDraft(id);
    this.refreshInterest();
    return result;
  }

  /** Adds or replaces a destination (cluster mode: on every worker). */
  async putDestination(config: DestinationConfig) {
    if (this.config.cluster) return this.config.cluster.submit({ op: 'putDestination', config }) as ReturnType<DestinationRegistry['put']>;
    return this.destinations.put(config, 'api');
  }

  async removeDestination(id: string): Promise<boolean> {
    if (this.config.cluster) return this.config.cluster.submit({ op: 'removeDestination', id }) as Promise<boolean>;
    return this.destinations.remove(id);
  }

  override async putAudience(audience: AudienceDefinition): Promise<void> {
    if (this.config.cluster) {
      await this.config.cluster.submit({ op: 'putAudience', audience });
      return;
    }
    await super.putAudience(audience);
  }

  /** Cluster mode: applies a management change from the control stream, here. */
  async applyControl(op: ControlOp): Promise<unknown> {
    switch (op.op) {
      case 'publish': return this.publishLocally(op.definition);
      case 'draft': return this.registry.saveDraft(op.definition);
      case 'publishDraft': return this.publishDraftLocally(op.id);
      case 'archive': return this.archiveLocally(op.id, { terminate: op.terminate });
      case 'putDestination': return this.destinations.put(op.config, 'api');
      case 'removeDestination': return this.destinations.remove(op.id);
      case 'putAudience': return super.putAudience(op.audience);
      default: throw new JourneysError('JRN_INVALID_REQUEST', `unknown control operation ${(op as { op: unknown }).op}`);
    }
  }

  /**
   * Stops new entries; with `terminate`, ends the active instances too (no exit sends). In
   * cluster mode every worker does this for the shards it holds; `terminated` counts this worker's.
   */
  async archive(id: string, options: { terminate?: boolean } = {}): Promise<{ terminated: number }> {
    if (this.config.cluster) return this.config.cluster.submit({ op: 'archive', id, terminate: options.terminate === true }) as Promise<{ terminated: number }>;
    return this.archiveLocally(id, options);
  }

  private async archiveLocally(id: string, options: { terminate?: boolean }): Promise<{ terminated: number }> {
    await this.registry.archive(id);
    this.refreshInterest();
    let terminated = 0;
    if (options.terminate) {
      const now = this.config.clock.now();
      for (const { key, value } of this.store.journeyInstances.getRange({ start: [id], end: [id, '\uffff'] })) {
        if (value !== 'active') continue;
        const instanceId = (key as [string, string])[1];
        const shard = Number(instanceId.split('-')[0]);
        if (this.config.cluster && !this.config.cluster.live(shard)) continue;
        const record = this.store.instances.get([shard, instanceId]) as { profileKey: string } | undefined;
        if (!record) continue;
        const batch = this.committer.batch;
        if (this.config.cluster) batch.shards.add(shard);
        const effects = this.shards[shard]!.terminate(record.profileKey, instanceId, now);
        this.observe(batch, effects);
        terminated += effects.filter((e) => e.kind === 'exit').length;
      }
      await this.committer.drain();
    }
    return { terminated };
  }

  /** Event names some loaded version enters on, waits for or exits on; other events skip the profile load. */
  private refreshInterest(): void {
    const interest = new Set<string>();
    for (const compiled of this.registry.catalog.all()) {
      interest.add(compiled.definition.entry.event);
      for (const name of compiled.awaitedAnywhere) interest.add(name);
      for (const rule of compiled.definition.exitRules ?? []) interest.add(rule.event);
    }
    this.interest = interest;
  }

  /** Deletes ended instances (and their timelines) older than the retention. */
  async purgeEnded(): Promise<number> {
    const cutoff = this.config.clock.now() - this.config.retentionMs;
    const doomed: { endedAt: number; instanceId: string; shard: number }[] = [];
    for (const { key, value } of this.store.ended.getRange({ end: [cutoff] })) {
      const [endedAt, instanceId] = key as [number, string];
      doomed.push({ endedAt, instanceId, shard: value as number });
      if (doomed.length >= 10_000) break;
    }
    if (doomed.length === 0) return 0;
    const batch = this.committer.batch;
    for (const { endedAt, instanceId, shard } of doomed) {
      // An id can run again (its entry messageId replayed after the dedupe window): a live one
      // stays. Its latest state is in the shard's memory until committed, else on disk.
      const record = this.store.instances.get([shard, instanceId]) as { journeyId: string; status: string; profileKey: string } | undefined;
      if (record && record.status !== 'active' && !this.shards[shard]!.holdsActive(record.profileKey, instanceId)) {
        batch.remove(this.store.instances, [shard, instanceId]);
        batch.remove(this.store.journeyInstances, [record.journeyId, instanceId]);
      }
      batch.remove(this.store.ended, [endedAt, instanceId]);
    }
    await batch.wait();
    return doomed.length;
  }

  /** A journey's send payloads for a sample entry event, nothing sent (the draft if there is one, else the latest version). */
  preview(journeyId: string, rawEvent: unknown, traits: Record<string, unknown> = {}) {
    const draft = this.registry.draft(journeyId);
    const latest = this.registry.versions(journeyId).at(-1);
    const definition = draft ?? latest?.definition;
    if (!definition) throw new JourneysError('JRN_NOT_FOUND', `No journey "${journeyId}".`);
    const now = this.config.clock.now();
    const raw = rawEvent && typeof rawEvent === 'object' && !Array.isArray(rawEvent) ? { type: 'track', event: definition.entry.event, ...(rawEvent as object) } : rawEvent;
    const event = this.normalize(raw, now);
    const profileKey = profileKeyOf(event, this.identityLinks);
    return previewSends(definition, draft ? (latest?.version ?? 0) + 1 : latest!.version, event, profileKey, traits, this.config.shards, now);
  }

  /**
   * Right to be forgotten: removes the profile, its traits, links, instances (active and ended),
   * timers, entry traces and pending sends.
   */
  async deleteProfile(key: string): Promise<{ instances: number; sends: number }> {
    const shardIndex = shardOf(key, this.config.shards);
    const shard = this.shards[shardIndex]!;
    await this.committer.drain();
    const instanceIds: string[] = [];
    const timerKeys: unknown[] = [];
    for (const { key: dbKey, value } of this.store.instances.getRange({ start: [shardIndex], end: [shardIndex, '\uffff'] })) {
      const record = value as { profileKey: string; journeyId: string; id: string; indexedDue?: number };
      if (record.profileKey !== key) continue;
      instanceIds.push(record.id);
      if (record.indexedDue !== undefined) timerKeys.push([shardIndex, record.indexedDue, record.id]);
      void dbKey;
    }
    const sends = this.dispatcher.forget((record) => record.profileKey === key);
    const links = [...this.links.entries()].filter(([, userId]) => userId === key).map(([anonymousId]) => anonymousId);
    await this.store.env.transaction(() => {
      this.store.profiles.remove([shardIndex, key]);
      for (const id of instanceIds) {
        const record = this.store.instances.get([shardIndex, id]) as { journeyId: string } | undefined;
        this.store.instances.remove([shardIndex, id]);
        if (record) this.store.journeyInstances.remove([record.journeyId, id]);
      }
      for (const timerKey of timerKeys) this.store.timers.remove(timerKey as never);
      for (const traceKey of this.store.traces.getKeys({ start: [shardIndex, key], end: [shardIndex, key, Number.MAX_SAFE_INTEGER] })) this.store.traces.remove(traceKey);
      for (const record of sends) this.store.outbox.remove([record.seq]);
      for (const anonymousId of links) this.store.links.remove([anonymousId]);
    });
    for (const anonymousId of links) this.links.delete(anonymousId);
    shard.forget(key);
    return { instances: instanceIds.length, sends: sends.length };
  }

  /** Fires the timers due now (tests with a manual clock call this; the interval does otherwise). */
  tick(): void {
    this.timers.tick();
  }

  /** Waits until everything accepted so far is committed and every delivery attempt in flight is done. */
  async settle(): Promise<void> {
    await this.committer.drain();
    await this.dispatcher.idle();
    await this.committer.drain();
  }

  /** For /readyz: storage, transport, shards owned. */
  status() {
    const storage = this.closed ? 'closed' : this.committer.failure ? 'failed' : 'open';
    const cluster = this.config.cluster?.status();
    if (cluster) {
      return { storage, nats: cluster.nats, worker: cluster.worker, shards: { count: this.config.shards, owned: cluster.owned.length, list: cluster.owned }, outboxDepth: this.dispatcher.depth };
    }
    return { storage, nats: 'not used (embedded mode)', shards: { count: this.config.shards, owned: this.config.shards }, outboxDepth: this.dispatcher.depth };
  }

  get timersInMemory(): number {
    return this.timers.inMemory;
  }

  timersPending(): number {
    return this.timers.pendingCount();
  }

  /** Stops intake and the clocks, delivers nothing new, commits what is pending, closes LMDB. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.stop();
    for (const timer of this.maintenance) clearInterval(timer);
    this.counters.flush(this.committer);
    this.committer.batch.put(this.store.meta, 'seq:outbox', this.outboxSeq);
    await this.dispatcher.stop();
    await this.committer.drain();
    await this.bus.close();
    await this.store.close();
  }
}

export function createEngine(config: EngineConfig): Promise<Engine> {
  return Engine.create(config);
}
