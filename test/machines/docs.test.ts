import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ISSUE_CODES } from '../../src/machines/issue-codes.js';
import { MAPPING_ISSUE_CODES } from '../../src/mapping/validate.js';

const test = suite('docs');

test('docs: every validation code is listed in docs/validation.md', () => {
  const docs = readFileSync(new URL('../../docs/validation.md', import.meta.url), 'utf8');
  const missing = [...Object.keys(ISSUE_CODES), ...Object.keys(MAPPING_ISSUE_CODES)].filter((code) => !docs.includes(`| \`${code}\` |`));
  assert.equal(missing, []);
});

test.run();
