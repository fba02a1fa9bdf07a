/** The package's API: the engine (embedded mode), a cluster worker, and the producer client for cluster mode. */
export { createEngine, Engine, type IngestResult } from './runtime/engine.js';
export type { EngineConfig } from './runtime/engine-config.js';
export { ClusterWorker, type WorkerOptions } from './cluster/worker.js';
export type { ClusterSettings } from './cluster/settings.js';
export { JourneysClient, type ClientOptions, type SendResult } from './transport/client.js';
export { validateJourney } from './machines/validate.js';
export { shardOf, instanceIdOf, messageIdOf } from './machines/hashing.js';
export { JourneysError, type ErrorCode } from './errors.js';
