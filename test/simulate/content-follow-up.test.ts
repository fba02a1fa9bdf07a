import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { instanceIdOf, randomBucket } from '../../src/machines/hashing.js';
import { example } from '../helpers/fixtures.js';
import { DAY, iso, identify, MIN, ofKind, simulate, T0, track } from '../helpers/scenario.js';

const test = suite('simulate/content-follow-up');
const journeys = [example('content-follow-up')];
const download = (user: string, offset: number, type = 'ebook', messageId?: string) =>
  track(user, 'content_downloaded', offset, { type }, messageId ? { messageId } : {});

test('content: a download sends one follow-up a day later, on the sticky branch of the profile', () => {
  const lines = simulate({ journeys }, [identify('user_1', { email: 'u@x.io', first_name: 'U' }, -MIN), download('user_1', 0, 'ebook', 'd1')]);
  const [send] = ofKind(lines, 'send');
  assert.is(send!.at, iso(T0 + DAY));
  // vectors.json: bucket of "user_1/content-follow-up/ab" is 1 → the first branch (50 %): short
  assert.is(randomBucket('user_1/content-follow-up/ab'), 1);
  assert.is(send!.step, 'email-short');
  assert.is(send!.destination, 'email');
  assert.is(send!.instance, instanceIdOf('content-follow-up', 1, 'user_1', 'd1', 64));
  const payload = send!.payload as any;
  assert.is(payload.event, 'Content Follow Up Short');
  assert.is(payload.properties.email, 'u@x.io');
  assert.is(payload.properties.first_name, 'U');
});

test('content: the filter keeps out other content types (explained)', () => {
  const lines = simulate({ journeys }, [download('u1', 0, 'video')], { explain: true });
  assert.equal(lines.map((l) => [l.kind, l.reason]), [['skip', 'filter_failed']]);
  assert.match(String(lines[0]!.detail), /type/);
});

test('content: "once" admits a profile once across many events, even after the end', () => {
  const events = [download('u1', 0), download('u1', MIN), download('u1', 2 * DAY), download('u1', 40 * DAY, 'whitepaper')];
  const lines = simulate({ journeys }, events, { explain: true });
  assert.is(ofKind(lines, 'enter').length, 1);
  assert.is(ofKind(lines, 'send').length, 1);
  assert.equal(ofKind(lines, 'skip').map((l) => l.reason), ['once_ledger', 'once_ledger', 'once_ledger']);
});

test('content: sticky splits pick the same branch for a profile; shares are near the percents', () => {
  const events = Array.from({ length: 2000 }, (_, i) => download(`p-${i}`, i));
  const sends = ofKind(simulate({ journeys }, events), 'send');
  assert.is(sends.length, 2000);
  const short = sends.filter((s) => s.step === 'email-short').length;
  assert.ok(short > 900 && short < 1100, `short: ${short} of 2000`);
  for (const send of sends.slice(0, 50)) {
    const bucket = randomBucket(`${send.userId}/content-follow-up/ab`);
    assert.is(send.step, bucket < 50 ? 'email-short' : 'email-long');
  }
});

test('content: a sticky split gives the same branch on re-entry (every_time variant)', () => {
  const definition = { ...example('content-follow-up'), entry: { event: 'content_downloaded', reentry: 'every_time' as const } };
  const events = Array.from({ length: 5 }, (_, i) => download('p-7', i * 3 * DAY));
  const steps = ofKind(simulate({ journeys: [definition] }, events), 'send').map((s) => s.step);
  assert.is(steps.length, 5);
  assert.is(new Set(steps).size, 1);
});

test('content: a non-sticky split buckets by instance, step and visit', () => {
  const definition = structuredClone(example('content-follow-up')) as any;
  definition.steps[1].sticky = false;
  const lines = simulate({ journeys: [definition] }, [download('user_1', 0, 'ebook', 'd1')]);
  const instance = instanceIdOf('content-follow-up', 1, 'user_1', 'd1', 64);
  const bucket = randomBucket(`${instance}/ab/1`);
  assert.is(ofKind(lines, 'send')[0]!.step, bucket < 50 ? 'email-short' : 'email-long');
});

test.run();
