/**
 * `journeys …` from the TypeScript sources (through tsx), for benches that need a server in a
 * child process: bin/journeys.js runs the compiled dist/, which may lag behind src/.
 *   node --import tsx bench/lib/serve-child.ts serve --config FILE
 */
import { main } from '../../src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`journeys: ${error?.message ?? String(error)}\n`);
    process.exitCode = 2;
  },
);
