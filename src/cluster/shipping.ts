/**
 * Shard exports in a JetStream object store, one object per shard (`shard-<n>`), replaced by
 * each shipment. The object's description carries `{ applied, worker, revision, at }`, so a
 * worker can tell whether an export is ahead of its own data directory without downloading it.
 */
import type { ObjectStore } from '@nats-io/obj';

export interface ShipmentInfo {
  applied: number;
  worker: string;
  revision: number;
  at: string;
}

const nameOf = (shard: number) => `shard-${shard}`;

export class Shipping {
  constructor(private readonly store: ObjectStore) {}

  async ship(shard: number, bytes: Uint8Array, info: ShipmentInfo): Promise<void> {
    await this.store.putBlob({ name: nameOf(shard), description: JSON.stringify(info) }, bytes);
  }

  async info(shard: number): Promise<ShipmentInfo | undefined> {
    const info = await this.store.info(nameOf(shard));
    if (!info || info.deleted || !info.description) return undefined;
    try {
      return JSON.parse(info.description) as ShipmentInfo;
    } catch {
      return undefined;
    }
  }

  async fetch(shard: number): Promise<Uint8Array | undefined> {
    return (await this.store.getBlob(nameOf(shard))) ?? undefined;
  }
}
