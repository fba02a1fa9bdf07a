// The mapping kit: evaluate Segment-style mappings over a payload, and check them beforehand.
export { mapPayload } from './evaluate.js';
export { validateMapping, MAPPING_ISSUE_CODES } from './validate.js';
export type { Mapping, MappingIssue } from './types.js';
