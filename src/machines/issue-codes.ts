/**
 * Every code journey validation can report, with what it means. The docs list these
 * (docs/validation.md) and a test checks that each one has a case that produces it.
 * Mapping issues come from src/mapping and start with `mapping_`.
 */
export interface Issue {
  /** JSON pointer (RFC 6901) to the offending value; a duplicate is reported at its second occurrence. */
  path: string;
  code: string;
  message: string;
}

export const ISSUE_CODES = {
  not_object: 'The value must be a JSON object.',
  missing_field: 'A required field is missing.',
  invalid_type: 'The value has the wrong type (string, number, boolean, array or object).',
  unknown_field: 'A field the journey format does not know (often a typo).',
  invalid_journey_id: 'The journey id must match ^[a-z0-9][a-z0-9_-]{0,63}$.',
  name_too_long: 'The name is longer than 200 characters.',
  invalid_step_id: 'A step or branch id must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$.',
  duplicate_step_id: 'Two steps share an id.',
  duplicate_branch_id: 'Two branches share an id.',
  unknown_step_type: 'The step type is not one of delay, hold_until, data_split, random_split, send, exit.',
  unknown_step: 'A reference (start, next, timeoutNext, otherwise, a branch next) names a step that does not exist.',
  unreachable_step: 'No path from the start step leads to this step.',
  zero_time_cycle: 'A cycle of steps does not pass through a delay or hold_until step, so it would loop without time passing.',
  invalid_duration: 'A duration is not <whole number><ms|s|m|h|d|w> or ISO-8601 without years or months, or is outside 1 s – 365 d.',
  invalid_percent: 'A random_split percent must be an integer from 0 to 100.',
  percents_not_100: 'The percents of a random_split do not sum to 100.',
  no_branches: 'A step that needs branches has none.',
  too_many_steps: 'A journey has more than 100 steps.',
  too_many_branches: 'A step has more than 10 branches.',
  invalid_reentry: 'reentry must be "once" or "every_time".',
  unique_identifier_with_once: 'uniqueIdentifier cannot be used with reentry "once".',
  invalid_path: 'A property path must be a dotted path with no empty segments (such as "cart.total").',
  invalid_event_name: 'An event name must be a non-empty string of at most 200 characters.',
  invalid_alias: 'A branch alias must be a non-empty string without dots (it becomes a journey-context key).',
  invalid_operator: 'A filter or condition must carry exactly one known operator (equals, equalsAnyOf, notEquals, exists, gt, gte, lt, lte, contains).',
  invalid_operand: 'The operator\'s value has the wrong type (exists takes a boolean, gt/gte/lt/lte a number, equalsAnyOf an array).',
  invalid_condition: 'A condition must be one of {trait}, {context}, {audience, member}, {all}, {any}, {not}.',
  unknown_context_key: 'A context condition names a key no event on the journey puts in the context.',
  match_unique_identifier_without_identifier: 'matchUniqueIdentifier needs entry.uniqueIdentifier.',
  unknown_destination: 'A send names a destination that is not configured.',
  unknown_audience: 'The entry or a condition names an audience that does not exist.',
  invalid_json: 'The file is not valid JSON or YAML.',
  unreadable_file: 'The file cannot be read (missing, a directory, or no permission).',
} as const;

export type IssueCode = keyof typeof ISSUE_CODES;
