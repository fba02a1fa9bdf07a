import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { resolveCredentials } from '../../src/config/credentials.js';
import { removeDir, tempDir } from '../helpers/engine.js';

const test = suite('config');

function configFile(content: unknown): { dir: string; file: string } {
  const dir = tempDir('journeys-config-');
  const file = join(dir, 'config.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return { dir, file };
}

const error = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

test('config: defaults, paths relative to the file, frozen', () => {
  const { dir, file } = configFile({ dataDir: './d', journeys: './j' });
  const config = loadConfig({ file, env: {}, cwd: '/' });
  assert.is(config.dataDir, join(dir, 'd'));
  assert.is(config.journeysDir, join(dir, 'j'));
  assert.equal(config.http, { host: '127.0.0.1', port: 3000 });
  assert.is(config.shards, 64);
  assert.is(config.durability, 'committed');
  assert.is(config.dedupeWindowMs, 86_400_000);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.http));
  removeDir(dir);
});

test('config: file, then environment, then flags — later wins', () => {
  const { dir, file } = configFile({ http: { port: 4000 }, shards: 8, auth: { writeKeys: ['a'] } });
  const env = { JOURNEYS_PORT: '5000', JOURNEYS_WRITE_KEYS: 'x, y', JOURNEYS_SHARDS: '16', JOURNEYS_LOG_LEVEL: 'debug' };
  const config = loadConfig({ file, env, flags: { port: '6000' }, cwd: dir });
  assert.is(config.http.port, 6000);
  assert.is(config.shards, 16);
  assert.equal(config.auth.writeKeys, ['x', 'y']);
  assert.is(config.log.level, 'debug');
  const viaEnv = loadConfig({ env: { JOURNEYS_CONFIG: file }, cwd: dir });
  assert.is(viaEnv.http.port, 4000);
  removeDir(dir);
});

test('config: a bad config names the key', () => {
  const cases: [unknown, string][] = [
    [{ http: { port: 'eighty' } }, 'http.port'],
    [{ shards: 0 }, 'shards'],
    [{ durability: 'maybe' }, 'durability'],
    [{ destinations: [{ id: 'a', type: 'carrier-pigeon' }] }, 'destinations[0].type'],
    [{ destinations: [{ id: 'a', type: 'log' }, { id: 'a', type: 'log' }] }, 'destinations[1].id'],
    [{ destinations: [{ id: 'a', type: 'log', retry: { initialBackoff: 'soon' } }] }, 'destinations[0].retry.initialBackoff'],
    [{ log: { level: 'loud' } }, 'log.level'],
    [{ colour: 'blue' }, 'colour'],
    [{ retention: 'forever' }, 'retention'],
  ];
  for (const [content, key] of cases) {
    const { dir, file } = configFile(content);
    const e = error(() => loadConfig({ file, env: {}, cwd: dir }));
    assert.is(e.key, key, e.message);
    assert.match(e.message, `config: ${key}:`);
    removeDir(dir);
  }
  const { dir, file } = configFile('{ not json');
  assert.match(error(() => loadConfig({ file, env: {}, cwd: dir })).message, 'line 1');
  removeDir(dir);
});

test('credentials: generated once when none are configured, stored 0600, reused', () => {
  const dir = tempDir('journeys-credentials-');
  const first = resolveCredentials(dir, { writeKeys: [], adminToken: null });
  assert.ok(first.generated);
  assert.match(first.writeKeys[0]!, /^wk_[0-9a-f]{32}$/);
  assert.is(statSync(first.file!).mode & 0o777, 0o600);
  const second = resolveCredentials(dir, { writeKeys: [], adminToken: null });
  assert.not.ok(second.generated);
  assert.equal([second.writeKeys, second.adminToken], [first.writeKeys, first.adminToken]);
  const configured = resolveCredentials(dir, { writeKeys: ['mine'], adminToken: 'token' });
  assert.equal([configured.writeKeys, configured.adminToken, configured.generated], [['mine'], 'token', false]);
  removeDir(dir);
});

test.run();
