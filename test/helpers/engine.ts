/** Engines on real LMDB files in a temp dir, for runtime tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import type { EngineConfig } from '../../src/runtime/engine-config.js';
import { Recorder } from './recorder.js';

export function tempDir(prefix = 'journeys-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** An engine whose destinations (crm-webhook, email, log) all record into one Recorder. */
export async function recordingEngine(config: Partial<EngineConfig> & { dataDir?: string } = {}): Promise<{ engine: Engine; recorder: Recorder; dataDir: string }> {
  const recorder = new Recorder();
  const dataDir = config.dataDir ?? tempDir();
  const engine = await createEngine({
    shards: 8,
    destinations: ['crm-webhook', 'email', 'log'].map((id) => ({ id, type: 'record', settings: {} })),
    ...config,
    dataDir,
    drivers: { record: recorder.factory, ...(config.drivers ?? {}) },
  });
  return { engine, recorder, dataDir };
}
