/**
 * The delivery thread's side (see delivery-thread.ts): owns the webhook clients (their undici
 * pools and sockets) and runs the requests, so that HTTP work — request framing, socket writes,
 * response parsing — stays off the engine's thread. Requests arrive in batches; results go
 * back in batches, one message per turn of this thread's loop.
 */
import { parentPort } from 'node:worker_threads';
import type { DeliveryResult } from './types.js';
import { webhookClient, webhookSettingsOf, type WebhookClient } from './webhook-http.js';
import type { ToThread } from './delivery-thread.js';

const port = parentPort!;
const clients = new Map<number, WebhookClient>();
let results: [number, DeliveryResult][] = [];
let scheduled = false;

function answer(id: number, result: DeliveryResult): void {
  results.push([id, result]);
  if (scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    const batch = results;
    results = [];
    port.postMessage(batch);
  });
}

port.on('message', (message: ToThread) => {
  switch (message.kind) {
    case 'open':
      void clients.get(message.client)?.close();
      clients.set(message.client, webhookClient(webhookSettingsOf(message.settings), message.connections));
      break;
    case 'close': {
      const client = clients.get(message.client);
      clients.delete(message.client);
      void client?.close();
      break;
    }
    case 'send':
      for (const [id, client, messageId, body] of message.sends) {
        const target = clients.get(client);
        if (!target) {
          answer(id, { ok: false, retryable: true, error: 'destination closed' });
          continue;
        }
        target.send(messageId, body).then(
          (result) => answer(id, result),
          (error: Error) => answer(id, { ok: false, retryable: true, error: `delivery thread: ${error.message}` }),
        );
      }
      break;
  }
});
