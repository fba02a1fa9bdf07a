/**
 * `journeys validate FILE... [--json] [--config FILE | --destinations FILE]`: checks journey
 * definitions (JSON or YAML) and prints every issue, one per line as `FILE POINTER CODE MESSAGE`
 * (with --json: an array of `{file, path, code, message}`). Exit 0 all valid, 1 any issue,
 * 2 a usage error.
 *
 * Side files: an unreadable --config/--destinations file is a usage error (exit 2), because the
 * check that was asked for cannot run, and scripts should tell that apart from "a journey is
 * bad". A side file that reads but is not JSON/YAML or has the wrong shape is reported as issues
 * against that file (exit 1); the journeys are still checked, without the list it failed to give.
 */
import { parseArgs } from 'node:util';
import { Checker, describe, isObject } from '../machines/checker.js';
import type { Issue } from '../machines/issue-codes.js';
import { pointer } from '../machines/json-pointer.js';
import { validateJourney, type ValidationContext } from '../machines/validate.js';
import type { CliIo } from './io.js';
import { UsageError } from './io.js';
import { loadDocument } from './load-document.js';

export const VALIDATE_USAGE = 'usage: journeys validate FILE... [--json] [--config FILE | --destinations FILE]';

export interface FileIssue extends Issue {
  file: string;
}

export async function validateCommand(args: string[], io: CliIo): Promise<number> {
  const options = parseOptions(args);
  if (options.help) {
    io.stdout(VALIDATE_USAGE + '\n');
    return 0;
  }

  const sideIssues: FileIssue[] = [];
  const context = readContext(options, io, sideIssues);
  const results = options.files.map((file) => {
    const loaded = loadDocument(file, io.cwd);
    const found = loaded.ok ? validateJourney(loaded.value, context).issues : [loaded.issue];
    return { file, issues: found.map(({ path, code, message }) => ({ file, path, code, message })) };
  });
  // Side-file issues come first: they explain why a check was skipped for the journeys.
  const issues = [...sideIssues, ...results.flatMap((result) => result.issues)];

  if (options.json) {
    io.stdout(JSON.stringify(issues, null, 2) + '\n');
  } else {
    for (const issue of sideIssues) io.stdout(formatIssue(issue));
    for (const result of results) {
      if (result.issues.length === 0) io.stdout(`${result.file}: valid\n`);
      for (const issue of result.issues) io.stdout(formatIssue(issue));
    }
  }
  return issues.length === 0 ? 0 : 1;
}

/** One line per issue, whatever the message holds; the root pointer "" reads better as "/". */
export function formatIssue(issue: FileIssue): string {
  return `${issue.file} ${issue.path || '/'} ${issue.code} ${issue.message.replace(/\s*\n\s*/g, ' ')}\n`;
}

interface Options {
  files: string[];
  json: boolean;
  help: boolean;
  config?: string;
  destinations?: string;
}

function parseOptions(args: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        config: { type: 'string' },
        destinations: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${VALIDATE_USAGE}`);
  }
  const { values, positionals } = parsed;
  const options: Options = { files: positionals, json: values.json === true, help: values.help === true };
  if (options.help) return options;
  if (positionals.length === 0) throw new UsageError(`validate needs at least one FILE\n${VALIDATE_USAGE}`);
  if (values.config !== undefined && values.destinations !== undefined) {
    throw new UsageError(`--config and --destinations cannot be used together\n${VALIDATE_USAGE}`);
  }
  if (values.config !== undefined) options.config = values.config;
  if (values.destinations !== undefined) options.destinations = values.destinations;
  return options;
}

/** The known destinations and audiences; a list left undefined is not checked. */
function readContext(options: Options, io: CliIo, issues: FileIssue[]): ValidationContext {
  const context: ValidationContext = {};
  const sideFile = options.config ?? options.destinations;
  if (sideFile === undefined) return context;
  const flag = options.config !== undefined ? '--config' : '--destinations';

  const loaded = loadDocument(sideFile, io.cwd);
  if (!loaded.ok && loaded.issue.code === 'unreadable_file') {
    throw new UsageError(`${flag} ${sideFile}: ${loaded.issue.message}`);
  }
  const checker = new Checker();
  if (!loaded.ok) {
    checker.issues.push(loaded.issue);
  } else if (options.destinations !== undefined) {
    context.destinations = idList(checker, loaded.value, '', 'Destination');
  } else if (!isObject(loaded.value)) {
    checker.add('', 'not_object', `A config must be an object, not ${describe(loaded.value)}.`);
  } else {
    // Like audiences, destinations are checked only when the config declares them: others
    // may exist through the API, so an absent key says nothing.
    if (loaded.value.destinations !== undefined) context.destinations = idList(checker, loaded.value.destinations, '/destinations', 'Destination');
    if (loaded.value.audiences !== undefined) context.audiences = idList(checker, loaded.value.audiences, '/audiences', 'Audience');
  }
  for (const { path, code, message } of checker.issues) issues.push({ file: sideFile, path, code, message });
  return context;
}

/**
 * The ids of a list of `{id, ...}`; undefined when the list has a problem, so the journeys are
 * not flooded with unknown_* issues that only echo it. Only ids are looked at here.
 */
function idList(checker: Checker, value: unknown, path: string, what: string): string[] | undefined {
  if (!Array.isArray(value)) {
    checker.add(path, 'invalid_type', `The ${what.toLowerCase()} list must be an array, not ${describe(value)}.`);
    return undefined;
  }
  const before = checker.issues.length;
  const ids: string[] = [];
  value.forEach((item, index) => {
    const at = pointer(path, index);
    if (!isObject(item)) {
      checker.add(at, 'not_object', `${what} ${index} must be an object, not ${describe(item)}.`);
      return;
    }
    const id = checker.string(item, 'id', at, `${what} ${index}`, { required: true });
    if (id !== undefined) ids.push(id);
  });
  return checker.issues.length === before ? ids : undefined;
}
