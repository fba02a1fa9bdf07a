import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TimingWheel } from '../../src/runtime/timing-wheel.js';

const test = suite('runtime/timing-wheel');
const T = 1_700_000_000_000;

function fireAll(wheel: TimingWheel, until: number, step = 7): [number, number, number][] {
  const fired: [number, number, number][] = [];
  for (let now = wheel.now; now <= until; now += step) wheel.advance(now, (handle, due) => fired.push([handle, due, now]));
  wheel.advance(until, (handle, due) => fired.push([handle, due, until]));
  return fired;
}

test('timing wheel: each timer fires once, not before it is due and within one tick after', () => {
  const wheel = new TimingWheel(T, 10, 4);
  const dues = [5, 10, 11, 255 * 10, 2_560, 2_570, 70_000, 655_360, 700_001, 3_600_000, 17 * 3_600_000];
  const handles = dues.map((d) => wheel.insert(T + d));
  assert.is(wheel.size, dues.length);
  const fired = fireAll(wheel, T + 18 * 3_600_000, 997);
  assert.is(fired.length, dues.length);
  assert.equal(new Set(fired.map(([h]) => h)).size, handles.length);
  for (const [, due, at] of fired) {
    assert.ok(at >= due, `fired at ${at - T} before due ${due - T}`);
  }
  assert.is(wheel.size, 0);
});

test('timing wheel: timers fire within a tick when advanced every tick', () => {
  const wheel = new TimingWheel(T, 10);
  const dues: number[] = [];
  for (let i = 0; i < 2000; i++) dues.push(T + 1 + ((i * 7919) % 900_000));
  for (const due of dues) wheel.insert(due);
  let late = 0;
  let count = 0;
  for (let now = T; now <= T + 900_010; now += 10) {
    wheel.advance(now, (_h, due) => {
      count++;
      assert.ok(now >= due);
      late = Math.max(late, now - due);
    });
  }
  assert.is(count, 2000);
  assert.ok(late < 10, `at most one tick late, was ${late} ms`);
});

test('timing wheel: overdue timers fire at the next advance', () => {
  const wheel = new TimingWheel(T, 10);
  wheel.advance(T + 5_000, () => assert.unreachable());
  wheel.insert(T + 1_000);
  wheel.insert(T);
  let fired = 0;
  wheel.advance(T + 5_000, () => fired++);
  assert.is(fired, 2);
});

test('timing wheel: cancel is O(1) and the slot is reused', () => {
  const wheel = new TimingWheel(T, 10, 2);
  const a = wheel.insert(T + 100);
  const b = wheel.insert(T + 100);
  const c = wheel.insert(T + 5_000_000);
  assert.ok(wheel.cancel(b));
  assert.not.ok(wheel.cancel(b), 'a second cancel does nothing');
  assert.ok(wheel.cancel(c));
  const fired: number[] = [];
  wheel.advance(T + 6_000_000, (handle) => fired.push(handle));
  assert.equal(fired, [a]);
  const reused = wheel.insert(T + 6_000_100);
  assert.ok(reused <= 2, 'a freed slot is reused');
});

test('timing wheel: far timers (beyond the top level) still fire, after their due time', () => {
  const wheel = new TimingWheel(T, 1);
  const far = T + 2 ** 33; // beyond 256^4 ticks of 1 ms
  wheel.insert(far);
  let fired = 0;
  for (let now = T; now <= far + 2 ** 20; now += 2 ** 20) wheel.advance(now, (_h, due) => { assert.ok(now >= due); fired++; });
  assert.is(fired, 1);
});

test('timing wheel: about 20 bytes per timer', () => {
  const wheel = new TimingWheel(T, 10, 1024);
  for (let i = 0; i < 100_000; i++) wheel.insert(T + 1_000 + i);
  assert.ok(wheel.bytes / 100_000 < 40, `${wheel.bytes / 100_000} bytes per timer`);
});

test.run();
