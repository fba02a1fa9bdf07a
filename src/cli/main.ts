/**
 * The `journeys` command line: picks the command and turns every failure into one
 * `journeys: <message>` line and an exit code, never a stack trace. bin/journeys.js runs the
 * compiled form of this file; src/cli/dev.ts runs it from source.
 */
import type { CliIo } from './io.js';
import { processIo, UsageError } from './io.js';

export const USAGE = `usage: journeys <command> [options]

commands:
  validate FILE... [--json] [--config FILE | --destinations FILE]
      check journey definitions (JSON or YAML) and print every issue
  simulate JOURNEY_FILE EVENTS_NDJSON [--destinations FILE] [--audiences FILE] [--until ISO] [--explain]
      run a journey on a simulated clock and print its effects as NDJSON
  serve [--config FILE] [--data DIR] [--port N] [--host H] [--nats URL] [--shards S]
      run the engine
  help
      show this text

exit codes: 0 success, 1 a problem was found (invalid journey, bad input), 2 usage error
`;

type Command = (args: string[], io: CliIo) => Promise<number>;

// Commands are loaded on demand: each pulls in only its own modules, so `validate` does not
// pay for (or break with) what `serve` or `simulate` need.
const COMMANDS: Record<string, () => Promise<Command>> = {
  validate: async () => (await import('./validate-command.js')).validateCommand,
  simulate: async () => (await import('./simulate-command.js')).simulateCommand,
  serve: async () => (await import('./serve-command.js')).serveCommand,
};

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === 'help' || name === '--help' || name === '-h') {
    io.stdout(USAGE);
    return 0;
  }
  // No command is a mistake in a script, so it fails (on stderr) rather than passing as help.
  if (name === undefined) {
    io.stderr(USAGE);
    return 2;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    io.stderr(`journeys: unknown command ${JSON.stringify(name)}\n${USAGE}`);
    return 2;
  }
  try {
    const command = await load();
    return await command(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`journeys: ${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`journeys: ${message}\n`);
    return 2;
  }
}
