import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDuration } from '../../src/machines/duration.js';

const test = suite('machines/duration');
const ms = (text: string) => {
  const parsed = parseDuration(text);
  return parsed.ok ? parsed.ms : parsed.reason;
};

test('duration: short forms in every unit', () => {
  assert.is(ms('1000ms'), 1000);
  assert.is(ms('90s'), 90_000);
  assert.is(ms('15m'), 900_000);
  assert.is(ms('1h'), 3_600_000);
  assert.is(ms('2d'), 172_800_000);
  assert.is(ms('1w'), 604_800_000);
});

test('duration: ISO-8601 without years or months', () => {
  assert.is(ms('PT1H'), 3_600_000);
  assert.is(ms('P2D'), 172_800_000);
  assert.is(ms('P1W'), 604_800_000);
  assert.is(ms('P1DT2H30M5S'), 86_400_000 + 2 * 3_600_000 + 30 * 60_000 + 5_000);
});

test('duration: rejects upper case, fractions, months, years, empty ISO and bad types', () => {
  for (const bad of ['1H', '1.5h', '1 h', 'P1M', 'P1Y', 'P', 'PT', 'P1DT', '', 'h', '-1h']) {
    const parsed = parseDuration(bad);
    assert.not.ok(parsed.ok, bad);
  }
  assert.not.ok(parseDuration(3600).ok);
});

test('duration: bounds are 1 s and 365 d', () => {
  assert.is(ms('1s'), 1000);
  assert.match(String(ms('999ms')), /minimum/);
  assert.is(ms('365d'), 365 * 86_400_000);
  assert.match(String(ms('366d')), /maximum/);
  assert.match(String(ms('53w')), /maximum/);
});

test.run();
