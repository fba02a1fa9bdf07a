/**
 * Runs the CLI from source, for development and tests that run it as a user would:
 * `node --import tsx src/cli/dev.ts validate examples/*.json`. bin/journeys.js does the same
 * with the compiled files.
 */
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  // main already catches; this guards against a failure while printing, without a stack.
  (error: unknown) => {
    process.stderr.write(`journeys: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
