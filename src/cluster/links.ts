/**
 * Identity links (anonymousId → userId) shared by every worker through a KV bucket, so that
 * every intake resolves a profile key the same way before it chooses the shard. Each worker
 * watches the bucket and keeps the links in memory (and in its LMDB, through the engine).
 *
 * KV keys allow only a few characters, so an anonymousId is stored base64url-encoded.
 *
 * A link is put (and acknowledged by JetStream) before the event that made it is published;
 * another worker's intake sees it once its watcher delivers it (normally within milliseconds).
 */
import type { KV } from '@nats-io/kv';
import type { IdentityLinks } from '../profiles/identity.js';

const encodeKey = (id: string) => Buffer.from(id, 'utf8').toString('base64url') || '_';
const decodeKey = (key: string) => Buffer.from(key, 'base64url').toString('utf8');

/** Where the links are kept in memory: a map of their own (the client), or the engine's (a worker). */
export interface LinkStore {
  get(anonymousId: string): string | undefined;
  set(anonymousId: string, userId: string): void;
}

export class ClusterLinks implements IdentityLinks {
  private stopWatch: (() => void) | undefined;

  private constructor(private readonly kv: KV, private readonly links: LinkStore) {}

  /** Loads every link into `store`, then follows the bucket. */
  static async open(kv: KV, store: LinkStore = new Map<string, string>()): Promise<ClusterLinks> {
    const links = new ClusterLinks(kv, store);
    // The watcher first delivers the current values; the bucket's message count says how many.
    const existing = (await kv.status()).values;
    let initialized!: () => void;
    const ready = new Promise<void>((resolve) => (initialized = resolve));
    if (existing === 0) initialized();
    const watch = await kv.watch({ ignoreDeletes: true });
    links.stopWatch = () => watch.stop();
    let received = 0;
    void (async () => {
      for await (const entry of watch) {
        if (++received >= existing || entry.isUpdate) initialized();
        if (entry.operation !== 'PUT') continue;
        const anonymousId = decodeKey(entry.key);
        const userId = entry.string();
        store.set(anonymousId, userId);
      }
    })();
    await ready;
    return links;
  }

  userIdFor(anonymousId: string): string | undefined {
    return this.links.get(anonymousId);
  }

  async put(anonymousId: string, userId: string): Promise<void> {
    if (this.links.get(anonymousId) === userId) return;
    await this.kv.put(encodeKey(anonymousId), userId);
    this.links.set(anonymousId, userId);
  }

  close(): void {
    this.stopWatch?.();
  }
}
