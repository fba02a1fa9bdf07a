/**
 * The webhook receiver of the peers bench, in its own process: a plain node:http server on
 * loopback. POST /hook/PEER records one nudge (the session id is read from the JSON body);
 * GET /stats/PEER answers what PEER delivered: nudges, distinct sessions, duplicates, nudges to
 * sessions that had purchased (even session numbers), first and last arrival (epoch ms).
 * Prints {"port": N} on stdout once listening.
 */
import { createServer } from 'node:http';

interface Tally {
  received: number;
  sessions: Set<string>;
  duplicates: number;
  purchasedNudged: number;
  unreadable: number;
  firstAt: number;
  lastAt: number;
}

const tallies = new Map<string, Tally>();
const tally = (peer: string): Tally => {
  let t = tallies.get(peer);
  if (!t) tallies.set(peer, (t = { received: 0, sessions: new Set(), duplicates: 0, purchasedNudged: 0, unreadable: 0, firstAt: 0, lastAt: 0 }));
  return t;
};

/** The session id wherever a peer puts it: the engine's payload carries the entry event in journey_context. */
function sessionOf(body: any): string | undefined {
  const p = body?.properties;
  return p?.journey_context?.checkout_started?.properties?.session_id ?? p?.session_id ?? body?.session_id;
}

const server = createServer((req, res) => {
  const [, route, peer = 'unknown'] = (req.url ?? '').split('/');
  if (req.method === 'GET' && route === 'stats') {
    const t = tally(peer);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ received: t.received, unique: t.sessions.size, duplicates: t.duplicates, purchasedNudged: t.purchasedNudged, unreadable: t.unreadable, firstAt: t.firstAt, lastAt: t.lastAt }));
    return;
  }
  if (req.method === 'POST' && route === 'hook') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const now = Date.now();
      const t = tally(peer);
      t.received++;
      if (!t.firstAt) t.firstAt = now;
      t.lastAt = now;
      let session: string | undefined;
      try {
        session = sessionOf(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        session = undefined;
      }
      if (session === undefined) t.unreadable++;
      else if (t.sessions.has(session)) t.duplicates++;
      else {
        t.sessions.add(session);
        if (Number(session.slice(2)) % 2 === 0) t.purchasedNudged++;
      }
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    return;
  }
  res.statusCode = 404;
  res.end();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
