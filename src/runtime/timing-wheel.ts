/**
 * A hierarchical timing wheel (Varghese & Lauck) over typed arrays: four levels of 256 slots,
 * O(1) insert and cancel, about 20 bytes per timer and no object per timer. A timer is a slab
 * index (its handle); the owner keeps whatever it needs per handle.
 *
 * Time is in ticks of `resolutionMs`, counted from the wheel's origin. Level k holds timers due
 * within 256^(k+1) ticks; crossing a slot boundary of level k moves that slot's timers down
 * (cascading), so every timer fires from level 0 in the tick it is due.
 */
const SLOTS = 256;
const LEVELS = 4;
const NONE = -1;

export class TimingWheel {
  private due: Float64Array;
  private next: Int32Array;
  private prev: Int32Array;
  /** Which list a timer is in: level * SLOTS + slot, EXPIRED, or NONE when free. */
  private where: Int32Array;
  private readonly heads = new Int32Array(LEVELS * SLOTS + 1).fill(NONE);
  /** Timers per level, so that advancing can skip over empty stretches. */
  private readonly levelCounts = new Int32Array(LEVELS + 1);
  private readonly expiredList = LEVELS * SLOTS;
  private free = NONE;
  private used = 0;
  private count = 0;
  private tick: number;

  constructor(private readonly origin: number, private readonly resolutionMs = 10, capacity = 1024) {
    this.due = new Float64Array(capacity);
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.where = new Int32Array(capacity).fill(NONE);
    this.tick = 0;
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held by the wheel's arrays: what a timer costs, measured by the timers bench. */
  get bytes(): number {
    return this.due.byteLength + this.next.byteLength + this.prev.byteLength + this.where.byteLength + this.heads.byteLength;
  }

  /** The time up to which the wheel has fired. */
  get now(): number {
    return this.origin + this.tick * this.resolutionMs;
  }

  /** Adds a timer due at `dueMs` (epoch ms); returns its handle. */
  insert(dueMs: number): number {
    const handle = this.allocate();
    this.due[handle] = dueMs;
    this.place(handle);
    this.count++;
    return handle;
  }

  cancel(handle: number): boolean {
    if (handle < 0 || handle >= this.used || this.where[handle] === NONE) return false;
    this.unlink(handle);
    this.release(handle);
    this.count--;
    return true;
  }

  dueOf(handle: number): number {
    return this.due[handle]!;
  }

  /** Fires, in due order per tick, every timer due at or before `nowMs`. A fired handle is free again after `onFire` returns. */
  advance(nowMs: number, onFire: (handle: number, due: number) => void): number {
    let fired = this.fireList(this.expiredList, onFire);
    const target = Math.floor((nowMs - this.origin) / this.resolutionMs);
    while (this.tick < target) {
      this.skipEmpty(target);
      this.tick++;
      this.cascadeAt(this.tick);
      fired += this.fireList(this.expiredList, onFire); // cascaded timers due this very tick
      fired += this.fireList(this.tick % SLOTS, onFire);
    }
    return fired;
  }

  /**
   * Jumps over ticks where nothing can happen: with levels below L empty, the next thing to do
   * is the next cascade of level L, at a multiple of 256^L.
   */
  private skipEmpty(target: number): void {
    let lowest = 0;
    while (lowest < LEVELS && this.levelCounts[lowest] === 0) lowest++;
    if (lowest === 0) return;
    const next = lowest === LEVELS ? target : (Math.floor(this.tick / SLOTS ** lowest) + 1) * SLOTS ** lowest;
    this.tick = Math.max(this.tick, Math.min(target, next) - 1);
  }

  private cascadeAt(tick: number): void {
    if (tick % SLOTS !== 0) return;
    // Cascade from the highest level whose boundary this tick crosses, down to level 1.
    let level = 1;
    let span = SLOTS;
    while (level < LEVELS - 1 && tick % (span * SLOTS) === 0) {
      level++;
      span *= SLOTS;
    }
    for (let k = level; k >= 1; k--) {
      const slot = Math.floor(tick / SLOTS ** k) % SLOTS;
      this.reinsertList(k * SLOTS + slot);
    }
  }

  private reinsertList(list: number): void {
    let handle = this.heads[list]!;
    this.heads[list] = NONE;
    while (handle !== NONE) {
      const following = this.next[handle]!;
      this.levelCounts[Math.floor(list / SLOTS)]!--;
      this.place(handle);
      handle = following;
    }
  }

  private fireList(list: number, onFire: (handle: number, due: number) => void): number {
    let fired = 0;
    let handle = this.heads[list]!;
    this.heads[list] = NONE;
    while (handle !== NONE) {
      const following = this.next[handle]!;
      this.where[handle] = NONE;
      this.levelCounts[Math.floor(list / SLOTS)]!--;
      this.count--;
      onFire(handle, this.due[handle]!);
      this.release(handle);
      fired++;
      handle = following;
    }
    return fired;
  }

  private place(handle: number): void {
    const dueTick = Math.ceil((this.due[handle]! - this.origin) / this.resolutionMs);
    const delta = dueTick - this.tick;
    let list: number;
    if (delta <= 0) {
      list = this.expiredList;
    } else {
      let level = 0;
      let span = SLOTS;
      while (delta >= span && level < LEVELS - 1) {
        level++;
        span *= SLOTS;
      }
      const clamped = level === LEVELS - 1 && delta >= span ? this.tick + span - 1 : dueTick;
      list = level * SLOTS + (Math.floor(clamped / SLOTS ** level) % SLOTS);
    }
    this.link(handle, list);
  }

  private link(handle: number, list: number): void {
    const head = this.heads[list]!;
    this.next[handle] = head;
    this.prev[handle] = NONE;
    if (head !== NONE) this.prev[head] = handle;
    this.heads[list] = handle;
    this.where[handle] = list;
    this.levelCounts[Math.floor(list / SLOTS)]!++;
  }

  private unlink(handle: number): void {
    const list = this.where[handle]!;
    const before = this.prev[handle]!;
    const after = this.next[handle]!;
    if (before !== NONE) this.next[before] = after;
    else this.heads[list] = after;
    if (after !== NONE) this.prev[after] = before;
    this.where[handle] = NONE;
    this.levelCounts[Math.floor(list / SLOTS)]!--;
  }

  private allocate(): number {
    if (this.free !== NONE) {
      const handle = this.free;
      this.free = this.next[handle]!;
      return handle;
    }
    if (this.used === this.due.length) this.grow();
    return this.used++;
  }

  private release(handle: number): void {
    this.where[handle] = NONE;
    this.next[handle] = this.free;
    this.free = handle;
  }

  private grow(): void {
    const capacity = this.due.length * 2;
    const grow = <T extends Float64Array | Int32Array>(array: T, make: (n: number) => T): T => {
      const bigger = make(capacity);
      bigger.set(array);
      return bigger;
    };
    this.due = grow(this.due, (n) => new Float64Array(n));
    this.next = grow(this.next, (n) => new Int32Array(n));
    this.prev = grow(this.prev, (n) => new Int32Array(n));
    const where = new Int32Array(capacity).fill(NONE);
    where.set(this.where);
    this.where = where;
  }
}
