/**
 * `journeys serve [--config FILE] [--data DIR] [--port N] [--host H] [--nats URL] [--shards S]`:
 * embedded mode (the engine and its HTTP API in this process), or with `--nats` a cluster worker
 * with its HTTP shim (src/cluster). SIGTERM/SIGINT stop intake, drain what is in flight, hand
 * the shards back (cluster mode), flush and close LMDB.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError, type Config } from '../config/config.js';
import { resolveCredentials } from '../config/credentials.js';
import { BUILT_IN_DRIVERS } from '../destinations/drivers.js';
import { JourneysError } from '../errors.js';
import { buildServer } from '../http/server.js';
import { Metrics } from '../http/metrics.js';
import { createLogger } from '../logger.js';
import { createEngine, type Engine } from '../runtime/engine.js';
import { ClusterWorker } from '../cluster/worker.js';
import type { CliIo } from './io.js';
import { UsageError } from './io.js';
import { loadDocument } from './load-document.js';

export async function serveCommand(args: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { config: { type: 'string' }, data: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, nats: { type: 'string' }, shards: { type: 'string' } } }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  let config: Readonly<Config>;
  try {
    const flags = Object.fromEntries(Object.entries({ data: values.data, port: values.port, host: values.host, nats: values.nats, shards: values.shards }).filter(([, v]) => v !== undefined));
    config = loadConfig({ ...(values.config ? { file: values.config } : {}), env: process.env, flags, cwd: io.cwd });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message, 1);
    throw error;
  }

  const logger = createLogger(config.log.level);
  const credentials = resolveCredentials(config.dataDir, config.auth);
  let engine: Engine | undefined;
  let worker: ClusterWorker | undefined;
  const metrics = new Metrics({ outboxDepth: () => engine?.outboxDepth() ?? 0, timersPending: () => engine?.timersPending() ?? 0 });
  const engineConfig = {
    dataDir: config.dataDir, shards: config.shards, durability: config.durability, logger,
    dedupeWindowMs: config.dedupeWindowMs, retentionMs: config.retentionMs,
    maxActiveInstancesPerProfile: config.limits.maxActiveInstancesPerProfile,
    maxPendingEvents: config.limits.maxPendingEvents, maxOutboxDepth: config.limits.maxOutboxDepth,
    destinations: config.destinations, audiences: config.audiences as never, drivers: BUILT_IN_DRIVERS,
    onEffect: metrics.onEffect, onDelivery: metrics.onDelivery,
  };
  // A lost lease or a failed commit: memory is ahead of what may be committed; a restart recovers.
  const onFatal = (error: Error) => {
    logger.fatal({ err: error }, 'stopping: the engine cannot go on safely; restart it');
    setTimeout(() => process.exit(70), 100);
  };
  try {
    if (config.nats.url) {
      worker = await ClusterWorker.start({ engine: engineConfig, cluster: { ...config.nats.cluster, url: config.nats.url }, logger, onFatal, http: `http://${config.http.host}:${config.http.port}` });
      engine = worker.engine;
    } else {
      engine = await createEngine({ ...engineConfig, onFatal });
    }
  } catch (error) {
    if (error instanceof JourneysError) throw new UsageError(error.message, 1);
    throw error;
  }
  const closeEngine = () => (worker ? worker.stop() : engine!.close());
  for (const file of journeyFiles(config)) {
    const loaded = loadDocument(file, io.cwd);
    if (!loaded.ok) throw new UsageError(`${file}: ${loaded.issue.message}`, 1);
    try {
      const { version, unchanged } = await engine.publish(loaded.value);
      logger.info({ journey: version.id, version: version.version, unchanged }, unchanged ? 'journey unchanged' : 'journey published');
    } catch (error) {
      const issues = ((error as JourneysError).details as { path: string; code: string; message: string }[] | undefined) ?? [];
      await closeEngine();
      throw new UsageError(`${file}: ${(error as Error).message}\n${issues.map((i) => `  ${i.path || '/'} ${i.code} ${i.message}`).join('\n')}`, 1);
    }
  }

  let accepting = true;
  const app = await buildServer({ engine, writeKeys: credentials.writeKeys, adminToken: credentials.adminToken, limits: config.limits, metrics, logger, ready: () => accepting });
  await app.listen({ host: config.http.host, port: config.http.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const base = `http://${config.http.host}:${port}`;
  logger.info({ url: base, dataDir: config.dataDir, shards: config.shards, ...(worker ? { worker: worker.id, nats: config.nats.url } : {}) }, worker ? 'journeys is serving (cluster worker)' : 'journeys is serving (embedded mode)');
  io.stdout(banner(base, credentials, config, worker));

  await new Promise<void>((resolve) => {
    const stop = async (signal: string) => {
      if (!accepting) {
        // A second signal: stop now (what is committed is safe; a restart recovers the rest).
        logger.warn({ signal }, 'stopping at once (second signal)');
        process.exit(1);
      }
      accepting = false;
      logger.info({ signal }, 'stopping: intake closed, draining');
      // Bounded: an unreachable NATS server must not keep a stopping process alive.
      const deadline = setTimeout(() => {
        logger.error('not stopped after 60 s; exiting (a restart recovers from the last commit)');
        process.exit(1);
      }, 60_000);
      deadline.unref();
      await app.close();
      await closeEngine();
      clearTimeout(deadline);
      logger.info('stopped');
      resolve();
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  });
  return 0;
}

function journeyFiles(config: Readonly<Config>): string[] {
  if (config.journeysDir) {
    return readdirSync(config.journeysDir).filter((f) => /\.(json|ya?ml)$/.test(f)).sort().map((f) => join(config.journeysDir!, f));
  }
  return [...config.journeys];
}

function banner(base: string, credentials: ReturnType<typeof resolveCredentials>, config: Readonly<Config>, worker?: ClusterWorker): string {
  const key = credentials.writeKeys[0]!;
  const mode = worker ? `cluster worker ${worker.id} on ${config.nats.url}, holding ${worker.owned().length} of ${config.shards} shards` : 'embedded mode';
  const lines = [
    '',
    `journeys is serving on ${base} (${mode}, data in ${config.dataDir})`,
    credentials.file ? `credentials${credentials.generated ? ' generated' : ''}: ${credentials.file} (write key and admin token)` : 'credentials: from the configuration',
    '',
    'send a first event:',
    `  curl -u ${key}: -H 'content-type: application/json' \\`,
    `    -d '{"userId":"u1","event":"form_submitted","properties":{"submission_id":"s1","form_id":"contact"}}' \\`,
    `    ${base}/v1/track`,
    '',
    `then look at: ${base}/v1/journeys (admin token), ${base}/metrics, ${base}/docs`,
    '',
  ];
  return lines.join('\n');
}
