/**
 * The derivations the contract pins exactly (vectors.json): shard, instance id, messageId and
 * random-split bucket. Deterministic: replaying the same events yields the same values.
 */
import { createHash } from 'node:crypto';

const encoder = new TextEncoder();

/** FNV-1a, 32 bits, over the UTF-8 bytes: the function nats-server's partition() mapping uses. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function shardOf(profileKey: string, shards: number): number {
  return fnv1a32(profileKey) % shards;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** `<shard>-<first 24 hex of SHA-256(journeyId \n version \n profileKey \n entryMessageId)>`. */
export function instanceIdOf(journeyId: string, version: number, profileKey: string, entryMessageId: string, shards: number): string {
  const digest = sha256Hex([journeyId, String(version), profileKey, entryMessageId].join('\n'));
  return `${shardOf(profileKey, shards)}-${digest.slice(0, 24)}`;
}

/** `jrn-` + the first 32 hex of SHA-256(`instanceId/stepId/visit`): one send, stable across retries. */
export function messageIdOf(instanceId: string, stepId: string, visit: number): string {
  return `jrn-${sha256Hex(`${instanceId}/${stepId}/${visit}`).slice(0, 32)}`;
}

/** The first 4 bytes (big-endian) of SHA-256(key), mod 100. */
export function randomBucket(key: string): number {
  return createHash('sha256').update(key, 'utf8').digest().readUInt32BE(0) % 100;
}
