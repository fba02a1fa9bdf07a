/**
 * The engine in a child process for the recovery bench (after test/fixtures/engine-child.ts):
 * JSON commands on stdin, JSON lines on stdout, killed with SIGKILL by the parent.
 *   engine-child.ts DATA_DIR DEAD_URL
 * DEAD_URL is a webhook URL on a loopback port where nothing listens: every send fails
 * retryably (connection refused) and stays in the outbox, with long backoffs.
 * Journeys: cart-abandonment (1 h hold: the waiting instances) and form-forwarding (an
 * immediate send: the pending sends). Published only when the data directory has none.
 * Commands: {op:'build', sessions, sends, concurrency} · {op:'snapshot'} · {op:'close'}
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { BUILT_IN_DRIVERS } from '../../src/destinations/drivers.js';
import { createEngine } from '../../src/runtime/engine.js';

const bootMs = performance.now(); // process start → this module running (node, tsx, imports)
const [dataDir, deadUrl] = process.argv.slice(2) as [string, string];
const out = (message: object) => process.stdout.write(JSON.stringify(message) + '\n');
const anonKiB = () => {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0);
};

const engine = await createEngine({
  dataDir,
  drivers: BUILT_IN_DRIVERS,
  destinations: [{
    id: 'crm-webhook', type: 'webhook', settings: { url: deadUrl, timeoutMs: 2_000 },
    retry: { maxAttempts: 1000, initialBackoff: '10m', maxBackoff: '1h', maxAge: '7d' },
  }],
  maxPendingEvents: 100_000,
});
const createdMs = performance.now();
if (engine.listJourneys().length === 0) {
  const example = (name: string) => JSON.parse(readFileSync(new URL(`../../examples/${name}.json`, import.meta.url), 'utf8'));
  await engine.publish(example('cart-abandonment'));
  await engine.publish(example('form-forwarding'));
}
// Serving: one event accepted and committed.
await engine.ingest({ type: 'track', userId: 'probe', event: 'page_viewed', messageId: `probe-${Date.now()}` });
const servingMs = performance.now();
out({
  ready: true, bootMs, createdMs, servingMs, rssAnonKiB: anonKiB(),
  timers: engine.timersPending(), outbox: engine.outboxDepth(),
});

const padding = 'x'.repeat(200);

async function build(sessions: number, sends: number, concurrency: number): Promise<void> {
  const total = sessions + sends;
  // Interleaved: every stride-th event is a form submission (an immediate send), `sends` in all.
  const stride = sends > 0 ? Math.max(1, Math.floor(total / sends)) : Infinity;
  const isSend = (k: number) => k % stride === 0 && Math.floor(k / stride) < sends;
  let next = 0;
  let done = 0;
  const began = performance.now();
  let lastReport = began;
  async function lane(): Promise<void> {
    while (next < total) {
      const k = next++;
      const event = isSend(k)
        ? { type: 'track', userId: `form-user-${k}`, event: 'form_submitted', properties: { submission_id: `f-${k}`, form_id: 'contact', email: `u${k}@example.com`, note: padding }, messageId: `f-${k}` }
        : { type: 'track', userId: `user-${k}`, event: 'checkout_started', properties: { session_id: `s-${k}`, total: 42, cart_id: `cart-${k}`, note: padding }, messageId: `m-${k}` };
      await engine.ingest(event);
      done++;
      const now = performance.now();
      if (now - lastReport > 10_000) {
        lastReport = now;
        out({ progress: done, total, perSecond: Math.round(done / ((now - began) / 1000)) });
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - began) / 1000;
  await engine.settle().catch(() => undefined);
  out({ built: true, events: total, perSecond: Math.round(total / seconds) });
}

/** Active cart-abandonment instances through the public listing, with an order-free checksum of their ids. */
function snapshot() {
  const began = performance.now();
  let instances = 0;
  let checksum = 0;
  let cursor: string | undefined;
  do {
    const page = engine.listInstances('cart-abandonment', { status: 'active', limit: 500, ...(cursor ? { cursor } : {}) });
    for (const instance of page.items) {
      instances++;
      let h = 0x811c9dc5;
      const key = `${instance.id}|${instance.profileKey}|${instance.step}`;
      for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
      checksum = (checksum + (h >>> 0)) % 2 ** 32;
    }
    cursor = page.cursor;
  } while (cursor);
  return { snapshot: true, instances, checksum, timers: engine.timersPending(), outbox: engine.outboxDepth(), countMs: Math.round(performance.now() - began), rssAnonKiB: anonKiB() };
}

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line);
  if (command.op === 'build') await build(command.sessions, command.sends, command.concurrency ?? 2_000);
  else if (command.op === 'snapshot') out(snapshot());
  else if (command.op === 'close') {
    await engine.close();
    out({ closed: true });
    process.exit(0);
  }
}
