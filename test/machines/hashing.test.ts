import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fnv1a32, instanceIdOf, messageIdOf, randomBucket, shardOf } from '../../src/machines/hashing.js';
import { vectors } from '../helpers/fixtures.js';

const test = suite('machines/hashing');
const v = vectors();

test('hashing: fnv1a32 and shardOf match every vector', () => {
  assert.ok(v.shardOf.length >= 4);
  for (const c of v.shardOf) {
    assert.is(fnv1a32(c.profileKey), c.fnv1a32, `fnv1a32(${c.profileKey})`);
    assert.is(shardOf(c.profileKey, c.shards), c.shard, `shardOf(${c.profileKey})`);
  }
});

test('hashing: instance ids match every vector', () => {
  for (const c of v.instanceId) {
    assert.is(instanceIdOf(c.journeyId, c.version, c.profileKey, c.entryMessageId, 64), c.instanceId);
  }
});

test('hashing: messageIds match every vector', () => {
  for (const c of v.messageId) assert.is(messageIdOf(c.instanceId, c.stepId, c.visit), c.messageId);
});

test('hashing: random-split buckets match every vector', () => {
  for (const c of v.randomBucket) assert.is(randomBucket(c.key), c.bucket, c.key);
});

test('hashing: the shard prefix of an instance id follows the shard count', () => {
  assert.match(instanceIdOf('j', 1, 'user_1', 'm', 8), /^2-[0-9a-f]{24}$/); // 1758944914 % 8 = 2
});

test.run();
