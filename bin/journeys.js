#!/usr/bin/env node
// The `journeys` command. The TypeScript sources are compiled to dist/ by `npm install` / `npm ci`
// (the package's `prepare` script); this file only hands over to the compiled CLI.
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`journeys: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
