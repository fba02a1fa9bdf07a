/**
 * A cluster worker: an engine whose bus is JetStream, which applies the shards it holds a lease
 * on. Every `rebalanceMs` it beats its heart, reads the live workers, hands back the shards
 * rendezvous hashing gives to another live worker and takes the ones it should hold; it renews
 * its leases every quarter of the TTL, ships changed shards to the object store every
 * `exportIntervalMs`, and runs the ingest router when it holds that lease.
 *
 * Taking a shard: lease (`create`), import the shipped export when it is further along than the
 * local data directory, load the shard's timers, replay its stream from the next sequence; the
 * shard is live (its timers fire) once the replay has caught up.
 * Handing a shard back: stop its feed, commit, ship it, delete the lease.
 * Losing a lease (a renewal finds another revision): stop applying at once; a batch that still
 * holds the shard's effects fails its fence and the process stops (restart recovers).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { JourneysError } from '../errors.js';
import { createEngine, type Engine } from '../runtime/engine.js';
import type { EngineConfig } from '../runtime/engine-config.js';
import type { ClusterHooks, ControlOp } from '../runtime/cluster-hooks.js';
import { NatsBus } from '../transport/nats-bus.js';
import { ControlChannel } from './control.js';
import { Leases, ROUTER_KEY, shardKey, type Lease, type RenewResult } from './leases.js';
import { ClusterLinks } from './links.js';
import { Membership, preferredOwner } from './membership.js';
import { clusterNames, type ClusterNames } from './names.js';
import { ensureResources, type ClusterResources } from './resources.js';
import { IngestRouter, WATERMARK_KEY, type Watermark } from './router.js';
import { ClusterQueries } from './queries.js';
import { CLUSTER_DEFAULTS, type ClusterSettings } from './settings.js';
import { ShardFeed } from './shard-feed.js';
import { Shipping } from './shipping.js';

export interface WorkerOptions {
  engine: Omit<EngineConfig, 'bus' | 'cluster' | 'onFatal'>;
  cluster: Partial<ClusterSettings> & { url: string };
  logger: Logger;
  /** The engine stopped working (a lost fence, a failed commit): the process should exit. */
  onFatal?: (error: Error) => void;
  /** Where this worker's HTTP shim listens (shown to the other workers). */
  http?: string;
}

type ShardState = 'starting' | 'replaying' | 'live' | 'releasing' | 'lost';

interface Held {
  lease: Lease;
  /** The renewal in flight (one at a time: two with the same revision would fail each other). */
  renewing?: Promise<RenewResult>;
  state: ShardState;
  feed?: ShardFeed;
  /** The set-up in progress (import, feed start), which a hand-back waits for. */
  settingUp?: Promise<void>;
  exportedSeq: number;
  exportedAt: number;
}

export class ClusterWorker implements ClusterHooks {
  engine!: Engine;
  private links!: ClusterLinks;
  private control!: ControlChannel;
  private readonly held = new Map<number, Held>();
  private router: { lease: Lease; router: IngestRouter } | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private ticking = false;
  private stopping = false;
  private workers: string[] = [];
  /** The router's watermark, merged (both parts only grow): see router.ts. */
  private readonly watermark: Watermark = { at: 0, seqs: [] };
  private stopWatermark: (() => void) | undefined;
  private queries: ClusterQueries | undefined;
  private readonly leases: Leases;
  private readonly membership: Membership;
  private readonly shipping: Shipping;
  private readonly shards: number;

  private constructor(
    readonly id: string,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly resources: ClusterResources,
    readonly names: ClusterNames,
    readonly settings: ClusterSettings,
    private readonly logger: Logger,
    options: WorkerOptions,
  ) {
    this.shards = options.engine.shards ?? 64;
    this.leases = new Leases(resources.leases, id, settings.leaseTtlMs);
    this.membership = new Membership(resources.workers, resources.jsm, names.workers, id, { http: options.http ?? null, pid: process.pid });
    this.shipping = new Shipping(resources.exports);
  }

  static async start(options: WorkerOptions): Promise<ClusterWorker> {
    const settings: ClusterSettings = { ...CLUSTER_DEFAULTS, ...options.cluster };
    const names = clusterNames(settings.prefix);
    const id = settings.workerId ?? `w-${randomBytes(5).toString('hex')}`;
    if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new JourneysError('JRN_INVALID_REQUEST', `worker id "${id}" may hold only letters, digits, _ and -`);
    const logger = options.logger.child({ worker: id });
    let nc: NatsConnection;
    try {
      // noAsyncTraces: no stack captured per request (a JetStream publish is one): measurable on the hot path.
      nc = await connect({ servers: settings.url, name: `journeys ${id}`, maxReconnectAttempts: -1, noAsyncTraces: true });
    } catch (cause) {
      throw new JourneysError('JRN_UNAVAILABLE', `cannot connect to NATS at ${settings.url}: ${(cause as Error).message}`, { cause });
    }
    const shards = options.engine.shards ?? 64;
    let resources: ClusterResources;
    try {
      resources = await ensureResources(nc, names, settings);
      await checkShardCount(resources, shards);
    } catch (error) {
      await nc.close().catch(() => undefined);
      throw error;
    }
    const worker = new ClusterWorker(id, nc, jetstream(nc), resources, names, settings, logger, options);
    worker.engine = await createEngine({
      ...options.engine, logger, bus: new NatsBus(worker.js, names), cluster: worker,
      onFatal: (error) => options.onFatal?.(error),
    });
    const engine = worker.engine;
    // The engine's own links (memory and LMDB) are the worker's: one copy.
    worker.links = await ClusterLinks.open(resources.links, { get: (anonymousId) => engine.identityLinks.userIdFor(anonymousId), set: (anonymousId, userId) => engine.learnLink(anonymousId, userId) });
    worker.control = new ControlChannel(worker.js, resources.jsm, names, {
      apply: (op) => engine.applyControl(op),
      applied: () => engine.controlSeq(),
      record: (seq) => engine.recordControl(seq),
    }, logger);
    await worker.control.start();
    await worker.control.ready;
    await worker.followWatermark();
    const queries = new ClusterQueries(id, nc, names, resources.leases, shards, engine.queries, () => worker.membership.live(), (shard) => worker.holds(shard), logger);
    queries.serve();
    worker.queries = queries;
    engine.queries = queries;
    await worker.tick();
    const every = (ms: number, task: () => Promise<void>) => {
      const timer = setInterval(() => void task().catch((error) => logger.warn({ err: error }, 'cluster task failed')), ms);
      timer.unref();
      worker.timers.push(timer);
    };
    every(settings.rebalanceMs, () => worker.tick());
    every(Math.max(100, Math.floor(settings.exportIntervalMs / 4)), () => worker.shipChanged());
    every(Math.max(50, Math.floor(settings.leaseTtlMs / 4)), () => worker.renew());
    logger.info({ shards, prefix: names.prefix, url: settings.url }, 'cluster worker started');
    return worker;
  }

  // ---- ClusterHooks ------------------------------------------------------------------------

  holds(shard: number): boolean {
    const state = this.held.get(shard)?.state;
    return state === 'starting' || state === 'replaying' || state === 'live';
  }

  live(shard: number): boolean {
    return this.held.get(shard)?.state === 'live';
  }

  mayFire(shard: number, due: number, now: number): boolean {
    const held = this.held.get(shard);
    const feed = held?.feed;
    if (!feed || held.state !== 'live') return false;
    const grace = this.settings.timerGraceMs;
    // An ingest event stamped before it may still be in the ingest stream, or on its way to this feed.
    if (due + grace > this.watermark.at || feed.lastSeq < (this.watermark.seqs[shard] ?? 0)) return false;
    return feed.lastArrival - grace >= due || (feed.idle && now - grace >= due);
  }

  async fence(shards: ReadonlySet<number>): Promise<void> {
    const checks: Promise<void>[] = [];
    for (const shard of shards) {
      const held = this.held.get(shard);
      const refuse = (why: string) => new JourneysError('JRN_FENCED', `shard ${shard}: this worker no longer holds its lease (${why}); its uncommitted effects are dropped and the worker stops`);
      if (!held || held.state === 'lost') throw refuse(held ? 'taken over' : 'not held');
      if (Date.now() < held.lease.validUntil) continue;
      // The margin ran out (a long pause, a slow network): renew now; only a renewal that finds
      // the revision unchanged proves no one else has held the shard meanwhile.
      checks.push(this.renewShard(shard, held).then((result) => {
        if (result !== 'renewed') throw refuse(result === 'lost' ? 'taken over' : 'not renewed in time');
      }));
    }
    await Promise.all(checks);
  }

  submit(op: ControlOp): Promise<unknown> {
    return this.control.submit(op);
  }

  link(anonymousId: string, userId: string): Promise<void> {
    return this.links.put(anonymousId, userId);
  }

  status() {
    return { nats: this.nc.isClosed() ? 'closed' : `connected (${this.settings.url})`, worker: this.id, owned: this.owned() };
  }

  /** The shards this worker holds and applies (replaying or live), ascending. */
  owned(): number[] {
    return [...this.held].filter(([, held]) => held.state === 'replaying' || held.state === 'live').map(([shard]) => shard).sort((a, b) => a - b);
  }

  private async followWatermark(): Promise<void> {
    const watch = await this.resources.state.watch({ key: WATERMARK_KEY });
    this.stopWatermark = () => watch.stop();
    void (async () => {
      for await (const entry of watch) {
        if (entry.operation !== 'PUT') continue;
        try {
          const next = JSON.parse(entry.string()) as Watermark;
          if (next.at > this.watermark.at) this.watermark.at = next.at;
          next.seqs.forEach((seq, shard) => {
            if (seq > (this.watermark.seqs[shard] ?? 0)) this.watermark.seqs[shard] = seq;
          });
        } catch {
          // not a watermark this build writes: ignored
        }
      }
    })();
  }

  // ---- Ownership ---------------------------------------------------------------------------

  /** One rebalance step (also run at start): heartbeat, take and hand back shards, router, shipments. */
  async tick(): Promise<void> {
    if (this.ticking || this.stopping) return;
    this.ticking = true;
    const began = Date.now();
    try {
      await this.membership.heartbeat();
      this.workers = await this.membership.live();
      // Hand-backs run on their own (a slow one must not hold up taking a dead worker's shards).
      for (const [shard, held] of this.held) {
        if (held.state !== 'live' && held.state !== 'replaying') continue;
        if (preferredOwner(shard, this.workers) !== this.id) void this.release(shard, { outbox: false }).catch((error) => this.logger.warn({ shard, err: error }, 'handing the shard back failed'));
      }
      const wanted: number[] = [];
      for (let shard = 0; shard < this.shards; shard++) {
        if (!this.held.has(shard) && preferredOwner(shard, this.workers) === this.id) wanted.push(shard);
      }
      // Leases at once (the shards are held from then on); set-ups in the background, a few at a
      // time, so that a long import never delays the next step (and a dead worker's shards).
      const taken = (await Promise.all(wanted.map((shard) => this.lease(shard)))).filter((shard): shard is number => shard !== undefined);
      this.setUpQueue.push(...taken);
      this.pumpSetUps();
      if (!this.router && !this.stopping) await this.startRouter();
    } finally {
      this.ticking = false;
      const took = Date.now() - began;
      if (took > this.settings.rebalanceMs * 3) this.logger.warn({ took, workers: this.workers.length }, 'slow rebalance step');
    }
  }

  private async renew(): Promise<void> {
    const now = Date.now();
    const due = (lease: Lease) => now - lease.renewedAt >= this.settings.leaseTtlMs / 4 - 10;
    await Promise.all([...this.held].map(async ([shard, held]) => {
      if (held.state === 'lost' || !due(held.lease)) return;
      const result = await this.renewShard(shard, held);
      if (result === 'failed') this.logger.warn({ shard }, 'lease renewal failed; retrying');
    }));
    const router = this.router;
    if (router && due(router.lease)) {
      const result = await this.leases.renew(ROUTER_KEY, router.lease);
      if (result === 'lost' || Date.now() >= router.lease.validUntil) await this.stopRouter(false);
    }
  }

  private renewShard(shard: number, held: Held): Promise<RenewResult> {
    held.renewing ??= this.leases.renew(shardKey(shard), held.lease).then((result) => {
      held.renewing = undefined;
      if (result === 'lost') this.lose(shard, held);
      return result;
    });
    return held.renewing;
  }

  /** Takes the shard's lease when it is free; returns the shard when it did. */
  private async lease(shard: number): Promise<number | undefined> {
    const lease = await this.leases.acquire(shardKey(shard));
    if (!lease) return undefined;
    this.held.set(shard, { lease, state: 'starting', exportedSeq: 0, exportedAt: Date.now() });
    this.logger.info({ shard, revision: lease.revision, at: Date.now() }, 'shard acquired');
    return shard;
  }

  private readonly setUpQueue: number[] = [];
  private setUpsRunning = 0;

  private pumpSetUps(): void {
    while (this.setUpsRunning < 8 && this.setUpQueue.length > 0 && !this.stopping) {
      const shard = this.setUpQueue.shift()!;
      this.setUpsRunning++;
      void this.setUp(shard).finally(() => {
        this.setUpsRunning--;
        this.pumpSetUps();
      });
    }
  }

  /** A leased shard: import the shipment if it is ahead, load the timers, replay the stream. */
  private async setUp(shard: number): Promise<void> {
    const held = this.held.get(shard);
    if (!held || held.state !== 'starting') return;
    held.settingUp = this.startShard(shard, held);
    await held.settingUp;
  }

  private async startShard(shard: number, held: Held): Promise<void> {
    // A hand-back (or a loss) may come while this waits: it then stops here.
    const still = () => held.state === 'starting';
    try {
      const local = this.engine.appliedSeq(shard);
      const shipped = await this.shipping.info(shard);
      const bytes = shipped && shipped.applied > local ? await this.shipping.fetch(shard) : undefined;
      if (!still()) return;
      const { imported, applied } = await this.engine.importShard(shard, bytes);
      if (!still()) return;
      this.engine.adoptShard(shard);
      held.exportedSeq = imported ? applied : 0;
      const feed = new ShardFeed(this.js, this.resources.jsm, this.names, shard, applied + 1, {
        apply: (seq, message) => this.engine.applyFromStream(shard, seq, message),
        pending: () => this.engine.pendingEvents,
      }, this.logger, () => {
        if (held.state === 'replaying') {
          held.state = 'live';
          this.logger.info({ shard, seq: feed.lastSeq }, 'shard live');
        }
      });
      held.feed = feed;
      held.state = 'replaying';
      this.logger.info({ shard, from: applied + 1, imported }, imported ? 'shard imported; replaying its stream' : 'replaying the shard stream');
      await feed.start();
    } catch (error) {
      if (held.state === 'releasing' || held.state === 'lost') return;
      this.logger.error({ shard, err: error }, 'taking the shard over failed; handing it back');
      held.state = 'releasing';
      await held.feed?.stop().catch(() => undefined);
      await this.leases.release(shardKey(shard), held.lease);
      this.held.delete(shard);
    }
  }

  /**
   * Hands a shard back: stop applying, commit, ship it, free the lease. `outbox`: ship the
   * shard's pending sends too (when this worker stops; while it runs it delivers them itself).
   */
  private async release(shard: number, options: { outbox: boolean }): Promise<void> {
    const held = this.held.get(shard);
    if (!held || held.state === 'releasing' || held.state === 'lost') return;
    const setUp = held.state !== 'starting';
    held.state = 'releasing';
    await held.settingUp?.catch(() => undefined);
    await held.feed?.stop();
    await this.engine.dropShard(shard);
    // From here on nothing of the shard is applied or committed here: the holding ends now.
    const endedAt = Date.now();
    // A shard never set up here is not shipped: its local copy may be older than the shipment.
    if (setUp && held.feed) await this.ship([[shard, held]], options).catch((error) => this.logger.warn({ shard, err: error }, 'shipping the shard failed'));
    await this.leases.release(shardKey(shard), held.lease);
    this.held.delete(shard);
    this.logger.info({ shard, revision: held.lease.revision, at: endedAt }, 'shard released');
  }

  /** A renewal found another revision: someone else holds the shard now. */
  private lose(shard: number, held: Held): void {
    if (held.state === 'lost') return;
    held.state = 'lost';
    this.logger.warn({ shard, revision: held.lease.revision, at: Date.now() }, 'shard lost (its lease was taken over)');
    void (async () => {
      await held.feed?.stop();
      await this.engine.dropShard(shard).catch(() => undefined);
      if (this.held.get(shard) === held) this.held.delete(shard);
    })();
  }

  /** Ships shards: fencing first (only the current holder writes a shard's export), then one consistent export pass. */
  private async ship(entries: [number, Held][], options: { outbox: boolean }): Promise<void> {
    const confirmed = (await Promise.all(entries.map(async ([shard, held]) => ((await this.leases.confirm(shardKey(shard), held.lease)) ? ([shard, held] as const) : undefined)))).filter((entry) => entry !== undefined);
    if (confirmed.length === 0) return;
    const exports = await this.engine.exportShards(confirmed.map(([shard]) => shard), options);
    for (const [shard, held] of confirmed) {
      const { bytes, applied } = exports.get(shard)!;
      await this.shipping.ship(shard, bytes, { applied, worker: this.id, revision: held.lease.revision, at: new Date().toISOString() });
      held.exportedSeq = applied;
      held.exportedAt = Date.now();
    }
  }

  private shipRunning = false;

  /** Ships (with their pending sends) the live shards that changed since their last shipment. */
  private async shipChanged(): Promise<void> {
    if (this.shipRunning || this.stopping) return;
    this.shipRunning = true;
    try {
      const due: [number, Held][] = [];
      for (const [shard, held] of this.held) {
        if (held.state !== 'live' || Date.now() - held.exportedAt < this.settings.exportIntervalMs) continue;
        if (this.engine.appliedSeq(shard) !== held.exportedSeq) due.push([shard, held]);
      }
      if (due.length > 0 && !this.stopping) await this.ship(due, { outbox: true });
    } finally {
      this.shipRunning = false;
    }
  }

  private async startRouter(): Promise<void> {
    const lease = await this.leases.acquire(ROUTER_KEY);
    if (!lease) return;
    const router = new IngestRouter(this.nc, this.js, this.names, this.resources.state, this.links, this.shards, this.logger, () => void this.stopRouter(true));
    this.router = { lease, router };
    this.logger.info({ revision: lease.revision }, 'ingest router started');
    try {
      await router.start();
    } catch (error) {
      this.logger.error({ err: error }, 'the ingest router did not start');
      await this.stopRouter(true);
    }
  }

  private async stopRouter(release: boolean): Promise<void> {
    const current = this.router;
    if (!current) return;
    this.router = undefined;
    await current.router.stop().catch(() => undefined);
    if (release) await this.leases.release(ROUTER_KEY, current.lease);
    this.logger.info('ingest router stopped');
  }

  /** Graceful stop: hands every shard back (shipped with its pending sends), leaves, closes. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    while (this.ticking || this.shipRunning || this.setUpsRunning > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    // Renewals continue while shards are handed back.
    const renewal = setInterval(() => void this.renew().catch(() => undefined), Math.max(50, Math.floor(this.settings.leaseTtlMs / 4)));
    try {
      await this.stopRouter(true);
      await Promise.all([...this.held.keys()].map((shard) => this.release(shard, { outbox: true })));
    } finally {
      clearInterval(renewal);
    }
    await this.control.stop();
    this.stopWatermark?.();
    this.queries?.close();
    await this.membership.leave();
    this.links.close();
    await this.engine.close();
    await this.nc.drain().catch(() => undefined);
    this.logger.info('cluster worker stopped');
  }
}

/** The shard count is fixed when the cluster is created (the first worker records it). */
async function checkShardCount(resources: ClusterResources, shards: number): Promise<void> {
  try {
    await resources.state.create('shards', String(shards));
    return;
  } catch {
    // already recorded
  }
  const entry = await resources.state.get('shards');
  const recorded = entry ? Number(entry.string()) : shards;
  if (recorded !== shards) {
    throw new JourneysError('JRN_SHARD_MISMATCH', `The cluster was created with ${recorded} shards; this worker was started with ${shards}. Start it with --shards ${recorded}.`);
  }
}
