/** A Fastify server over a real engine (LMDB in a temp dir), for inject() tests. */
import type { FastifyInstance } from 'fastify';
import { BUILT_IN_DRIVERS } from '../../src/destinations/drivers.js';
import { buildServer } from '../../src/http/server.js';
import { Metrics } from '../../src/http/metrics.js';
import type { Engine } from '../../src/runtime/engine.js';
import type { EngineConfig } from '../../src/runtime/engine-config.js';
import { recordingEngine, removeDir } from './engine.js';
import type { Recorder } from './recorder.js';

export const WRITE_KEY = 'wk_test';
export const ADMIN = 'admin-token-for-tests';
export const basic = (key = WRITE_KEY) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
export const bearer = (token = ADMIN) => `Bearer ${token}`;

export interface TestServer {
  app: FastifyInstance;
  engine: Engine;
  recorder: Recorder;
  close(): Promise<void>;
}

export async function testServer(config: Partial<EngineConfig> = {}): Promise<TestServer> {
  let engineRef: Engine | undefined;
  const metrics = new Metrics({ outboxDepth: () => engineRef?.outboxDepth() ?? 0, timersPending: () => engineRef?.timersPending() ?? 0 });
  const { engine, recorder, dataDir } = await recordingEngine({ ...config, drivers: { ...BUILT_IN_DRIVERS, ...(config.drivers ?? {}) }, onEffect: metrics.onEffect, onDelivery: metrics.onDelivery });
  engineRef = engine;
  const app = await buildServer({ engine, writeKeys: [WRITE_KEY], adminToken: ADMIN, limits: { maxEventBytes: 32 * 1024, maxBatchBytes: 500 * 1024, maxBatchEvents: 2500 }, metrics });
  return {
    app, engine, recorder,
    async close() {
      await app.close();
      await engine.close();
      removeDir(dataDir);
    },
  };
}
