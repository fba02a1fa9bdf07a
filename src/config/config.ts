/**
 * Configuration (architecture.md "Config"): a JSON or YAML file (`--config`, or JOURNEYS_CONFIG),
 * then environment variables, then CLI flags — later wins — read once at start into a frozen,
 * validated object. Nothing else reads process.env. A bad config stops the start with a
 * message naming the key.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { loadDocument } from '../cli/load-document.js';
import type { DestinationConfig } from '../destinations/types.js';
import { parseDuration, settingDurationMs } from '../machines/duration.js';
import type { Durability } from '../runtime/store.js';
import type { ClusterSettings } from '../cluster/settings.js';

export interface Config {
  dataDir: string;
  http: { host: string; port: number };
  /** Cluster mode when `url` is set; the rest tune it (docs/cluster.md). */
  nats: { url: string | null; cluster: Partial<Omit<ClusterSettings, 'url'>> };
  shards: number;
  auth: { writeKeys: string[]; adminToken: string | null };
  destinations: DestinationConfig[];
  audiences: { id: string; name?: string; condition?: unknown; members?: string[] }[];
  /** Files of definitions to publish at start. */
  journeys: string[];
  journeysDir: string | null;
  durability: Durability;
  limits: { maxActiveInstancesPerProfile: number; maxPendingEvents: number; maxOutboxDepth: number; maxEventBytes: number; maxBatchBytes: number; maxBatchEvents: number };
  dedupeWindowMs: number;
  retentionMs: number;
  log: { level: string };
  /** Where the config file was (paths in it are relative to it). */
  file: string | null;
}

export class ConfigError extends Error {
  constructor(readonly key: string, message: string) {
    super(`config: ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  file?: string;
  env?: Record<string, string | undefined>;
  flags?: { data?: string; port?: string; host?: string; nats?: string; shards?: string };
  cwd: string;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const TOP_KEYS = ['dataDir', 'http', 'nats', 'shards', 'auth', 'destinations', 'audiences', 'journeys', 'durability', 'limits', 'log', 'dedupeWindow', 'retention'];

export function loadConfig(sources: ConfigSources): Readonly<Config> {
  const env = sources.env ?? {};
  const file = sources.file ?? env.JOURNEYS_CONFIG;
  let raw: Record<string, unknown> = {};
  let base = sources.cwd;
  let filePath: string | null = null;
  if (file) {
    filePath = resolve(sources.cwd, file);
    const loaded = loadDocument(filePath, sources.cwd);
    if (!loaded.ok) throw new ConfigError('--config', `${file}: ${loaded.issue.message}`);
    if (!loaded.value || typeof loaded.value !== 'object' || Array.isArray(loaded.value)) throw new ConfigError('--config', `${file} must hold an object`);
    raw = loaded.value as Record<string, unknown>;
    base = dirname(filePath);
    for (const key of Object.keys(raw)) if (!TOP_KEYS.includes(key)) throw new ConfigError(key, `unknown key (known: ${TOP_KEYS.join(', ')})`);
  }
  const obj = (key: string): Record<string, unknown> => {
    const value = raw[key];
    if (value === undefined) return {};
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(key, 'must be an object');
    return value as Record<string, unknown>;
  };
  const http = obj('http');
  const auth = obj('auth');
  const limits = obj('limits');
  const log = obj('log');
  const nats = obj('nats');
  const path = (value: string, from: string) => (isAbsolute(value) ? value : resolve(from, value));

  const dataDir = sources.flags?.data ?? env.JOURNEYS_DATA_DIR ?? (raw.dataDir === undefined ? undefined : string(raw.dataDir, 'dataDir'));
  const config: Config = {
    dataDir: dataDir === undefined ? resolve(sources.cwd, 'data') : path(dataDir, sources.flags?.data ?? env.JOURNEYS_DATA_DIR ? sources.cwd : base),
    http: {
      host: sources.flags?.host ?? env.JOURNEYS_HOST ?? (http.host === undefined ? '127.0.0.1' : string(http.host, 'http.host')),
      port: integer(sources.flags?.port ?? env.JOURNEYS_PORT ?? http.port ?? 3000, sources.flags?.port ? '--port' : env.JOURNEYS_PORT ? 'JOURNEYS_PORT' : 'http.port', 0, 65535),
    },
    nats: {
      url: sources.flags?.nats ?? env.JOURNEYS_NATS_URL ?? (nats.url === undefined || nats.url === null ? null : string(nats.url, 'nats.url')),
      cluster: clusterSettings(nats, env),
    },
    shards: integer(sources.flags?.shards ?? env.JOURNEYS_SHARDS ?? raw.shards ?? 64, sources.flags?.shards ? '--shards' : env.JOURNEYS_SHARDS ? 'JOURNEYS_SHARDS' : 'shards', 1, 4096),
    auth: {
      writeKeys: env.JOURNEYS_WRITE_KEYS !== undefined ? env.JOURNEYS_WRITE_KEYS.split(',').map((k) => k.trim()).filter(Boolean) : stringList(auth.writeKeys ?? [], 'auth.writeKeys'),
      adminToken: env.JOURNEYS_ADMIN_TOKEN ?? (auth.adminToken === undefined || auth.adminToken === null ? null : string(auth.adminToken, 'auth.adminToken')),
    },
    destinations: destinations(raw.destinations),
    audiences: audiences(raw.audiences),
    journeys: [],
    journeysDir: null,
    durability: durability(raw.durability),
    limits: {
      maxActiveInstancesPerProfile: integer(limits.maxActiveInstancesPerProfile ?? 25, 'limits.maxActiveInstancesPerProfile', 1, 10_000),
      maxPendingEvents: integer(limits.maxPendingEvents ?? 50_000, 'limits.maxPendingEvents', 1, 10_000_000),
      maxOutboxDepth: integer(limits.maxOutboxDepth ?? 1_000_000, 'limits.maxOutboxDepth', 1, 1_000_000_000),
      maxEventBytes: integer(limits.maxEventBytes ?? 32 * 1024, 'limits.maxEventBytes', 1024, 1024 * 1024),
      maxBatchBytes: integer(limits.maxBatchBytes ?? 500 * 1024, 'limits.maxBatchBytes', 1024, 16 * 1024 * 1024),
      maxBatchEvents: integer(limits.maxBatchEvents ?? 2500, 'limits.maxBatchEvents', 1, 100_000),
    },
    dedupeWindowMs: duration(raw.dedupeWindow ?? '24h', 'dedupeWindow'),
    retentionMs: duration(raw.retention ?? '30d', 'retention'),
    log: { level: env.JOURNEYS_LOG_LEVEL ?? (log.level === undefined ? 'info' : string(log.level, 'log.level')) },
    file: filePath,
  };
  if (!LEVELS.includes(config.log.level)) throw new ConfigError('log.level', `must be one of ${LEVELS.join(', ')}`);
  if (raw.journeys !== undefined) {
    if (typeof raw.journeys === 'string') config.journeysDir = path(raw.journeys, base);
    else config.journeys = stringList(raw.journeys, 'journeys').map((f) => path(f, base));
  }
  return deepFreeze(config);
}

const NATS_KEYS = ['url', 'prefix', 'workerId', 'leaseTtl', 'rebalanceInterval', 'exportInterval', 'streamMaxAge', 'duplicateWindow', 'replicas', 'timerGrace'];

function clusterSettings(nats: Record<string, unknown>, env: Record<string, string | undefined>): Partial<Omit<ClusterSettings, 'url'>> {
  for (const key of Object.keys(nats)) if (!NATS_KEYS.includes(key)) throw new ConfigError(`nats.${key}`, `unknown key (known: ${NATS_KEYS.join(', ')})`);
  const settings: Partial<Omit<ClusterSettings, 'url'>> = {};
  const prefix = env.JOURNEYS_NATS_PREFIX ?? (nats.prefix === undefined ? undefined : string(nats.prefix, 'nats.prefix'));
  if (prefix !== undefined) {
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(prefix)) throw new ConfigError('nats.prefix', 'must be lower-case letters, digits, _ or - (at most 32), starting with a letter');
    settings.prefix = prefix;
  }
  const workerId = env.JOURNEYS_WORKER_ID ?? (nats.workerId === undefined ? undefined : string(nats.workerId, 'nats.workerId'));
  if (workerId !== undefined) {
    if (!/^[A-Za-z0-9_-]+$/.test(workerId)) throw new ConfigError('nats.workerId', 'may hold only letters, digits, _ and -');
    settings.workerId = workerId;
  }
  const ms = (key: string, target: 'leaseTtlMs' | 'rebalanceMs' | 'exportIntervalMs' | 'streamMaxAgeMs' | 'duplicateWindowMs' | 'timerGraceMs', min: number) => {
    if (nats[key] === undefined) return;
    const value = duration(nats[key], `nats.${key}`);
    if (value < min) throw new ConfigError(`nats.${key}`, `must be at least ${min} ms`);
    settings[target] = value;
  };
  ms('leaseTtl', 'leaseTtlMs', 1_000);
  ms('rebalanceInterval', 'rebalanceMs', 100);
  ms('exportInterval', 'exportIntervalMs', 1_000);
  ms('streamMaxAge', 'streamMaxAgeMs', 60_000);
  ms('duplicateWindow', 'duplicateWindowMs', 1_000);
  ms('timerGrace', 'timerGraceMs', 0);
  if (nats.replicas !== undefined) settings.replicas = integer(nats.replicas, 'nats.replicas', 1, 5);
  return settings;
}

function string(value: unknown, key: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ConfigError(key, 'must be a non-empty string');
  return value;
}

function stringList(value: unknown, key: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) throw new ConfigError(key, 'must be a list of non-empty strings');
  return value as string[];
}

function integer(value: unknown, key: string, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw new ConfigError(key, `must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
  return n;
}

function duration(value: unknown, key: string): number {
  if (typeof value !== 'string') throw new ConfigError(key, 'must be a duration such as "24h"');
  try {
    return settingDurationMs(value);
  } catch (error) {
    throw new ConfigError(key, (error as Error).message);
  }
}

function durability(value: unknown): Durability {
  if (value === undefined) return 'committed';
  if (value !== 'committed' && value !== 'fsync') throw new ConfigError('durability', 'must be "committed" or "fsync"');
  return value;
}

const DESTINATION_TYPES = ['webhook', 'nats', 'function', 'log'];

function destinations(value: unknown): DestinationConfig[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ConfigError('destinations', 'must be a list');
  const seen = new Set<string>();
  return value.map((item, i) => {
    const key = `destinations[${i}]`;
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new ConfigError(key, 'must be an object {id, type, settings}');
    const d = item as Record<string, unknown>;
    const id = string(d.id, `${key}.id`);
    if (seen.has(id)) throw new ConfigError(`${key}.id`, `"${id}" is declared twice`);
    seen.add(id);
    const type = string(d.type, `${key}.type`);
    if (!DESTINATION_TYPES.includes(type)) throw new ConfigError(`${key}.type`, `must be one of ${DESTINATION_TYPES.join(', ')}`);
    const settings = d.settings ?? {};
    if (!settings || typeof settings !== 'object' || Array.isArray(settings)) throw new ConfigError(`${key}.settings`, 'must be an object');
    const out: DestinationConfig = { id, type, settings: settings as Record<string, unknown> };
    if (d.retry !== undefined) {
      const retry = d.retry as Record<string, unknown>;
      for (const field of ['initialBackoff', 'maxBackoff', 'maxAge']) {
        if (retry[field] !== undefined && !parseDurationLoose(retry[field])) throw new ConfigError(`${key}.retry.${field}`, 'must be a duration such as "1s"');
      }
      if (retry.maxAttempts !== undefined) integer(retry.maxAttempts, `${key}.retry.maxAttempts`, 1, 1000);
      out.retry = retry as DestinationConfig['retry'];
    }
    if (d.concurrency !== undefined) out.concurrency = integer(d.concurrency, `${key}.concurrency`, 1, 10_000);
    return out;
  });
}

function parseDurationLoose(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    settingDurationMs(value);
    return true;
  } catch {
    return parseDuration(value).ok;
  }
}

function audiences(value: unknown): Config['audiences'] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ConfigError('audiences', 'must be a list');
  return value.map((item, i) => {
    if (!item || typeof item !== 'object') throw new ConfigError(`audiences[${i}]`, 'must be an object {id, condition?, members?}');
    string((item as Record<string, unknown>).id, `audiences[${i}].id`);
    return item as Config['audiences'][number];
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
