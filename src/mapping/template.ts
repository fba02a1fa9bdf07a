// `@template` placeholders, rendered as Segment's kit renders them.
import { readDotted } from './path.js';

const TRIPLE = /\{\{\{([^}]+)\}\}\}/g;
const DOUBLE = /\{\{([^}]+)\}\}/g;

/**
 * Replaces `{{a.b}}` and `{{{a.b}}}` with values read from the payload (no "$." prefix:
 * the placeholder is a plain dotted path). Missing and null values become "", others their
 * JavaScript string form ("true", "1", "[object Object]"), and nothing is HTML-escaped.
 * Segment replaces triple braces first and double braces afterwards over the whole result,
 * so a value inserted by `{{{x}}}` that itself contains `{{y}}` is expanded too; kept as is.
 */
export function renderTemplate(template: string, payload: unknown): string {
  const replacer = (_match: string, inner: string): string => toText(readDotted(payload, inner.trim()));
  return template.replace(TRIPLE, replacer).replace(DOUBLE, replacer);
}

function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  try {
    return String(value);
  } catch {
    // Objects without a prototype have no toString; JSON payloads never hold them.
    return '';
  }
}
