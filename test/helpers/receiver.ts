/** A real webhook receiver on loopback: records every request (headers and raw body). */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  at: number;
}

export class Receiver {
  readonly requests: Received[] = [];
  private server: Server | undefined;
  /** Answers per request, in order; after they run out, 200. */
  readonly script: { status: number; headers?: Record<string, string>; body?: string }[] = [];
  /** A slow receiver: each answer waits this long. */
  delayMs = 0;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        this.requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body, json, at: Date.now() });
        const answer = this.script.shift() ?? { status: 200, body: '{"ok":true}' };
        const reply = () => {
          response.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
          response.end(answer.body ?? '');
        };
        if (this.delayMs > 0) setTimeout(reply, this.delayMs);
        else reply();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
  }

  async waitFor(count: number, timeoutMs = 15_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      if (Date.now() > until) throw new Error(`the receiver got ${this.requests.length} of ${count} requests in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
