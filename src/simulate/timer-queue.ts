/**
 * The simulator's timers: a binary min-heap ordered by due time, then by the order they were
 * set, so that timers due at the same moment fire in a reproducible order. Cancelled or
 * moved timers are dropped lazily, when they reach the top.
 */
export interface QueuedTimer {
  due: number;
  seq: number;
  profileKey: string;
  instanceId: string;
  timerId: string;
}

export class TimerQueue {
  private readonly heap: QueuedTimer[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(timer: Omit<QueuedTimer, 'seq'>): void {
    this.heap.push({ ...timer, seq: this.seq++ });
    this.up(this.heap.length - 1);
  }

  peek(): QueuedTimer | undefined {
    return this.heap[0];
  }

  pop(): QueuedTimer | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (top && last && this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private before(a: QueuedTimer, b: QueuedTimer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private up(index: number): void {
    const heap = this.heap;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(heap[index]!, heap[parent]!)) break;
      [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
      index = parent;
    }
  }

  private down(index: number): void {
    const heap = this.heap;
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && this.before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && this.before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === index) return;
      [heap[index], heap[smallest]] = [heap[smallest]!, heap[index]!];
      index = smallest;
    }
  }
}
