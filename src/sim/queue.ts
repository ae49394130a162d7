/**
 * The simulator's agenda: a binary min-heap of events ordered by virtual time, ties broken by
 * insertion sequence. The sequence number makes the order total, so two events due at the same
 * instant always run in the order they were scheduled and a run is a pure function of its seed.
 */
export interface Scheduled {
  /** Virtual time (ms) at which the event is due. */
  time: number;
  /** Insertion sequence, assigned by the queue. */
  seq: number;
}

export class EventQueue<E extends Scheduled> {
  private readonly heap: E[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Adds `event` (its `seq` is overwritten) and returns it. */
  push(event: E): E {
    event.seq = this.nextSeq++;
    const heap = this.heap;
    heap.push(event);
    this.siftUp(heap.length - 1);
    return event;
  }

  /** Every event waiting, in no particular order (inspection only: the explorer's view of a run). */
  items(): readonly E[] {
    return this.heap;
  }

  peek(): E | undefined {
    return this.heap[0];
  }

  pop(): E | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop() as E;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const item = heap[index] as E;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex] as E;
      if (!isBefore(item, parent)) break;
      heap[index] = parent;
      index = parentIndex;
    }
    heap[index] = item;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const length = heap.length;
    const item = heap[index] as E;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && isBefore(heap[right] as E, heap[left] as E)) child = right;
      if (!isBefore(heap[child] as E, item)) break;
      heap[index] = heap[child] as E;
      index = child;
    }
    heap[index] = item;
  }
}

function isBefore(a: Scheduled, b: Scheduled): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
