/**
 * A plain progress bar for long runs: drawn on stdout only when it is a terminal, redrawn at most
 * ten times a second, and erased when done. When stdout is a pipe or a file it prints nothing.
 */
export interface Progress {
  update(done: number, note?: string): void;
  finish(): void;
}

const WIDTH = 30;
const silent: Progress = { update() {}, finish() {} };

export function progress(label: string, total: number): Progress {
  if (!process.stdout.isTTY || total <= 0) return silent;
  const began = Date.now();
  let drawnAt = 0;
  let shown = false;
  const draw = (done: number, note?: string) => {
    const fraction = Math.min(1, Math.max(0, done / total));
    const filled = Math.round(fraction * WIDTH);
    const seconds = ((Date.now() - began) / 1000).toFixed(0);
    const line = `  ${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${seconds}s${note ? ` ${note}` : ''}`;
    const columns = process.stdout.columns || 100;
    process.stdout.write(`\r${line.slice(0, columns - 1).padEnd(columns - 1)}`);
    shown = true;
  };
  return {
    update(done, note) {
      const now = Date.now();
      if (now - drawnAt < 100 && done < total) return;
      drawnAt = now;
      draw(done, note);
    },
    finish() {
      if (shown) process.stdout.write(`\r${' '.repeat((process.stdout.columns || 100) - 1)}\r`);
      shown = false;
    },
  };
}
