/**
 * The configured destinations: those of the config file (owned by the file: at start the file
 * wins for them) and those created through the API (persisted in LMDB). Each gets a driver by
 * its type, registered with the dispatcher.
 */
import type { Logger } from 'pino';
import { JourneysError } from '../errors.js';
import type { Store } from '../runtime/store.js';
import type { Dispatcher } from './dispatcher.js';
import { logDestination } from './log.js';
import type { DestinationConfig, DestinationDriver, DriverFactory } from './types.js';

export interface StoredDestination extends DestinationConfig {
  source: 'config' | 'api';
}

const SECRET_KEYS = /secret|token|password|authorization|api[-_]?key/i;

/** A copy with secret-looking settings and headers masked, for responses and logs. */
export function maskDestination(config: DestinationConfig): DestinationConfig {
  const mask = (value: unknown): unknown => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEYS.test(k) && typeof v === 'string' ? '••••' + v.slice(-2) : mask(v)]));
  };
  return { ...config, settings: mask(config.settings) as Record<string, unknown> };
}

export class DestinationRegistry {
  private readonly configs = new Map<string, StoredDestination>();
  private readonly drivers = new Map<string, DestinationDriver>();
  private readonly factories: Record<string, DriverFactory>;

  constructor(private readonly store: Store, private readonly dispatcher: Dispatcher, extra: Record<string, DriverFactory>, logger: Logger) {
    this.factories = { log: (config) => logDestination(config, logger), ...extra };
  }

  /** Adds a driver factory for a type (webhook, nats, function are registered by their modules). */
  register(type: string, factory: DriverFactory): void {
    this.factories[type] = factory;
  }

  async load(fromConfig: DestinationConfig[]): Promise<void> {
    for (const { value } of this.store.destinations.getRange({})) {
      const stored = value as StoredDestination;
      if (stored.source === 'api') this.activate(stored);
    }
    for (const config of fromConfig) await this.put(config, 'config');
  }

  ids(): string[] {
    return [...this.configs.keys()].sort();
  }

  get(id: string): StoredDestination | undefined {
    return this.configs.get(id);
  }

  list(): StoredDestination[] {
    return this.ids().map((id) => this.configs.get(id)!);
  }

  driver(id: string): DestinationDriver | undefined {
    return this.drivers.get(id);
  }

  async put(config: DestinationConfig, source: 'config' | 'api' = 'api'): Promise<StoredDestination> {
    if (!this.factories[config.type]) {
      throw new JourneysError('JRN_INVALID_EVENT', `destination "${config.id}": type "${config.type}" is not one of ${Object.keys(this.factories).sort().join(', ')}`);
    }
    const stored: StoredDestination = { ...config, source };
    this.activate(stored);
    await this.store.destinations.put([config.id], stored);
    return stored;
  }

  async remove(id: string): Promise<boolean> {
    if (!this.configs.has(id)) return false;
    this.configs.delete(id);
    this.drivers.delete(id);
    this.dispatcher.removeDestination(id);
    await this.store.destinations.remove([id]);
    return true;
  }

  private activate(config: StoredDestination): void {
    const factory = this.factories[config.type];
    if (!factory) throw new JourneysError('JRN_INVALID_EVENT', `destination "${config.id}": unknown type "${config.type}"`);
    const driver = factory(config);
    this.configs.set(config.id, config);
    this.drivers.set(config.id, driver);
    this.dispatcher.setDestination(config, driver);
  }
}
