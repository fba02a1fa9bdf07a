/** A mapping-kit mapping: an object whose values are literals or directive objects (payload.md). */
export type Mapping = { [key: string]: unknown };

/** One problem in a mapping, at a JSON pointer (the same shape journey validation reports). */
export interface MappingIssue {
  path: string;
  code: string;
  message: string;
}
