/** Drives test/fixtures/engine-child.ts: JSON lines in, JSON lines out, SIGKILL at will. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export class EngineChild {
  private readonly waiters: { test: (message: any) => boolean; resolve: (message: any) => void }[] = [];
  readonly exited: Promise<number | null>;
  stderr = '';

  private constructor(readonly process: ChildProcess) {
    createInterface({ input: process.stdout! }).on('line', (line) => {
      const message = JSON.parse(line);
      const index = this.waiters.findIndex((waiter) => waiter.test(message));
      if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(message);
    });
    process.stderr!.on('data', (chunk) => { this.stderr += chunk; });
    this.exited = new Promise((resolve) => process.on('exit', (code) => resolve(code)));
  }

  static async start(args: string[], fixture = 'test/fixtures/engine-child.ts'): Promise<{ child: EngineChild; ready: any }> {
    const proc = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const child = new EngineChild(proc);
    const ready = await Promise.race([
      child.next((m) => m.ready === true, 30_000),
      child.exited.then((code) => { throw new Error(`the engine child exited (${code}) before it was ready: ${child.stderr}`); }),
    ]);
    return { child, ready };
  }

  next(test: (message: any) => boolean, timeoutMs = 15_000): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the engine child in ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({ test, resolve: (message) => { clearTimeout(timer); resolve(message); } });
    });
  }

  send(command: object): void {
    this.process.stdin!.write(JSON.stringify(command) + '\n');
  }

  async ingest(event: { messageId: string }): Promise<any> {
    const ack = this.next((m) => m.ack === event.messageId);
    this.send({ op: 'ingest', event });
    return ack;
  }

  async instances(): Promise<{ id: string; status: string; profileKey: string; entry: string }[]> {
    const answer = this.next((m) => Array.isArray(m.instances));
    this.send({ op: 'instances' });
    return (await answer).instances;
  }

  async kill(): Promise<void> {
    this.process.kill('SIGKILL');
    await this.exited;
  }
}
