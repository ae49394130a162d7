/**
 * Solo mode's explorer, kept off the page's thread: each question goes to a Web Worker
 * (src/explore/worker.ts) and its answer comes back as plain data in `$state.raw`. A newer
 * valence question makes the one still running pointless, so its worker is terminated and a
 * fresh one started (a synchronous search cannot be interrupted otherwise); the counterexample
 * search has a worker of its own, so stepping on while it searches keeps valence answers coming.
 */
import type { RunAnswer, RunQuestion } from '../explore/from-run.ts';
import type { WorkerReply, WorkerRequest } from '../explore/worker.ts';

export type ExploreStatus = { readonly kind: 'idle' } | { readonly kind: 'thinking'; readonly since: number } | { readonly kind: 'error'; readonly why: string };

class Channel {
  #worker: Worker | undefined;
  #busy = false;
  #seq = 0;
  answer: RunAnswer | undefined = $state.raw(undefined);
  status: ExploreStatus = $state.raw({ kind: 'idle' });
  /** Wall-clock ms from asking to the answer arriving in the page (what the e2e measures). */
  lastRoundTripMs: number | undefined = $state.raw(undefined);

  ask(question: RunQuestion): void {
    if (typeof Worker === 'undefined') {
      this.status = { kind: 'error', why: 'this browser cannot run the explorer (no Web Workers)' };
      return;
    }
    if (this.#busy) this.#stop();
    const worker = this.#worker ?? this.#start();
    const id = ++this.#seq;
    const asked = performance.now();
    this.#busy = true;
    this.status = { kind: 'thinking', since: asked };
    worker.onmessage = (e: MessageEvent<WorkerReply>) => {
      if (e.data.id !== id) return;
      this.#busy = false;
      this.lastRoundTripMs = Math.round(performance.now() - asked);
      if ('error' in e.data) {
        this.answer = undefined;
        this.status = { kind: 'error', why: e.data.error };
      } else {
        this.answer = e.data.answer;
        this.status = { kind: 'idle' };
      }
    };
    worker.onerror = (e) => {
      this.#busy = false;
      this.status = { kind: 'error', why: `the explorer stopped: ${e.message}` };
      this.#stop();
    };
    const request: WorkerRequest = { id, question };
    worker.postMessage(request);
  }

  /** Forget the answer (the run changed in a way the answer no longer describes). */
  clear(): void {
    if (this.#busy) this.#stop();
    this.answer = undefined;
    this.status = { kind: 'idle' };
  }

  dispose(): void {
    this.#stop();
  }

  #start(): Worker {
    this.#worker = new Worker(new URL('../explore/worker.ts', import.meta.url), { type: 'module' });
    return this.#worker;
  }

  #stop(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#busy = false;
  }
}

export class SoloExplorer {
  readonly valence = new Channel();
  readonly counterexample = new Channel();

  dispose(): void {
    this.valence.dispose();
    this.counterexample.dispose();
  }
}
