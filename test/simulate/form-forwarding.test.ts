import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { example } from '../helpers/fixtures.js';
import { iso, identify, MIN, ofKind, simulate, T0, track } from '../helpers/scenario.js';

const test = suite('simulate/form-forwarding');
const journeys = [example('form-forwarding')];

test('forwarding: each submission is sent at once, mapped, and completes', () => {
  const lines = simulate({ journeys }, [
    identify('u1', { email: 'ann@example.com' }, -MIN),
    track('u1', 'form_submitted', 0, { submission_id: 'f1', form_id: 'contact' }),
    track('u1', 'form_submitted', MIN, { submission_id: 'f2', form_id: 'demo' }),
  ]);
  assert.equal(lines.map((l) => l.kind), ['enter', 'send', 'exit', 'enter', 'send', 'exit']);
  const sends = ofKind(lines, 'send');
  assert.equal(sends[0]!.payload, { email: 'ann@example.com', form: 'contact', submitted_at: iso(T0) });
  assert.equal(sends[1]!.payload, { email: 'ann@example.com', form: 'demo', submitted_at: iso(T0 + MIN) });
  assert.is(sends[0]!.at, iso(T0));
});

test('forwarding: a missing trait is left out of the mapped payload', () => {
  const lines = simulate({ journeys }, [track('u2', 'form_submitted', 0, { submission_id: 'f1', form_id: 'contact' })]);
  assert.equal(ofKind(lines, 'send')[0]!.payload, { form: 'contact', submitted_at: iso(T0) });
});

test('forwarding: anonymous events resolve to the user after an identify links them', () => {
  const lines = simulate({ journeys }, [
    identify('u9', { email: 'nine@example.com' }, -MIN, { anonymousId: 'anon-9' }),
    { type: 'track', anonymousId: 'anon-9', event: 'form_submitted', properties: { submission_id: 'x', form_id: 'f' }, timestamp: iso(T0), messageId: 'a1' },
  ]);
  const [send] = ofKind(lines, 'send');
  assert.is(send!.userId, 'u9');
  assert.equal(send!.payload, { email: 'nine@example.com', form: 'f', submitted_at: iso(T0) });
});

test.run();
