/**
 * Reads a JSON or YAML document for the CLI. Failures come back as one issue in the same
 * `{path, code, message}` shape validation uses, so a file that cannot be read or parsed is
 * reported like any other problem of that file: never a stack trace, always the place.
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse, YAMLParseError } from 'yaml';
import type { Issue } from '../machines/issue-codes.js';

export type Loaded = { ok: true; value: unknown } | { ok: false; issue: Issue };

/** OS error codes a person may not know by name; others are shown as the code itself. */
const OS_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
};

/** `file` is taken relative to `cwd`. `.json` is JSON, `.yaml`/`.yml` YAML, anything else JSON first, then YAML. */
export function loadDocument(file: string, cwd: string): Loaded {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = (code && OS_REASONS[code]) ?? code ?? (error as Error).message;
    return fail('unreadable_file', `The file cannot be read: ${reason}.`);
  }
  // Editors on Windows may save a byte-order mark, which JSON.parse rejects.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const ext = extname(file).toLowerCase();
  if (ext === '.json') return parseJson(text);
  if (ext === '.yaml' || ext === '.yml') return parseYaml(text);
  const asJson = parseJson(text);
  if (asJson.ok) return asJson;
  const asYaml = parseYaml(text);
  if (asYaml.ok) return asYaml;
  // Both failed: the error of the format the file looks like is the one that helps.
  return /^\s*[[{]/.test(text) ? asJson : asYaml;
}

function fail(code: string, message: string): Loaded {
  return { ok: false, issue: { path: '', code, message } };
}

function parseJson(text: string): Loaded {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const message = (error as Error).message;
    // Node 20 gives "... in JSON at position N" for most errors; for an unexpected token it
    // quotes the source instead, so the place is found by scanning.
    const given = /at position (\d+)/.exec(message);
    const offset = given ? Number(given[1]) : jsonErrorOffset(text);
    const reason = message
      .replace(/ (in JSON )?at position \d+.*$/s, '')
      .replace(/, ".*" is not valid JSON$/s, '')
      .replace(/\s+/g, ' ');
    const { line, column } = lineAndColumn(text, offset);
    return fail('invalid_json', `Not valid JSON at line ${line}, column ${column}: ${reason}.`);
  }
}

function parseYaml(text: string): Loaded {
  try {
    // logLevel 'error': warnings would otherwise go straight to the console, past CliIo.
    return { ok: true, value: parse(text, { logLevel: 'error' }) as unknown };
  } catch (error) {
    // The library's message ends with a multi-line excerpt; one line is kept so the CLI can
    // print one issue per line.
    const reason = ((error as Error).message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    if (error instanceof YAMLParseError && error.linePos) {
      const { line, col } = error.linePos[0];
      return fail('invalid_json', `Not valid YAML at line ${line}, column ${col}: ${reason}.`);
    }
    return fail('invalid_json', `Not valid YAML: ${reason}.`);
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

/**
 * The offset of the first syntax error in `text`, by a strict RFC 8259 scan. Used only when
 * JSON.parse's message carries no position; past the end means the input ended too early.
 */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const ch = () => text.charAt(i); // '' past the end, which matches no test below
  const stop = (): never => { throw new JsonScanStop(i); };
  const expect = (c: string) => { if (ch() !== c) stop(); i++; };
  const skipSpace = () => { while (/^[ \t\n\r]$/.test(ch())) i++; };
  const digits = () => { if (!/^[0-9]$/.test(ch())) stop(); while (/^[0-9]$/.test(ch())) i++; };
  const string = () => {
    expect('"');
    for (;;) {
      const c = ch();
      if (c === '"') { i++; return; }
      if (c === '' || c < ' ') stop();
      i++;
      if (c !== '\\') continue;
      if (/^["\\/bfnrt]$/.test(ch())) { i++; continue; }
      expect('u');
      for (let k = 0; k < 4; k++) { if (!/^[0-9a-fA-F]$/.test(ch())) stop(); i++; }
    }
  };
  const number = () => {
    if (ch() === '-') i++;
    if (ch() === '0') i++; else digits();
    if (ch() === '.') { i++; digits(); }
    if (ch() === 'e' || ch() === 'E') { i++; if (ch() === '+' || ch() === '-') i++; digits(); }
  };
  const members = (close: string, member: () => void) => {
    i++;
    skipSpace();
    if (ch() === close) { i++; return; }
    for (;;) {
      member();
      skipSpace();
      if (ch() === ',') { i++; continue; }
      expect(close);
      return;
    }
  };
  const value = (): void => {
    skipSpace();
    const c = ch();
    if (c === '{') return members('}', () => { skipSpace(); string(); skipSpace(); expect(':'); value(); });
    if (c === '[') return members(']', value);
    if (c === '"') return string();
    if (c === '-' || /^[0-9]$/.test(c)) return number();
    for (const word of ['true', 'false', 'null']) {
      let k = 0;
      while (k < word.length && text.charAt(i + k) === word[k]) k++;
      if (k === word.length) { i += k; return; }
      if (k > 0) { i += k; stop(); } // point at the first character that breaks the literal
    }
    stop();
  };
  try {
    value();
    skipSpace();
    if (i < text.length) stop();
    return text.length;
  } catch (stop) {
    if (stop instanceof JsonScanStop) return stop.offset;
    return 0; // nesting deep enough to overflow the stack: the start is the best we can say
  }
}

class JsonScanStop {
  constructor(readonly offset: number) {}
}
