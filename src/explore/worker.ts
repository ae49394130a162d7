/**
 * Solo mode's explorer, in a Web Worker so the page stays responsive while it searches: one
 * question in (a RunQuestion), one answer out. The page terminates the worker when a newer
 * question makes the running one pointless (a synchronous search cannot be interrupted
 * otherwise); the budget in limits.ts bounds every search, so an answer always comes.
 */
import { answerRun, type RunAnswer, type RunQuestion } from './from-run.ts';
import { ExploreError } from './explorer.ts';

export interface WorkerRequest {
  readonly id: number;
  readonly question: RunQuestion;
}

export type WorkerReply = { readonly id: number; readonly answer: RunAnswer } | { readonly id: number; readonly error: string };

const scope = self as unknown as { onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null; postMessage(reply: WorkerReply): void };

scope.onmessage = (e) => {
  const { id, question } = e.data;
  try {
    scope.postMessage({ id, answer: answerRun(question, () => performance.now()) });
  } catch (error) {
    // The explorer's own refusals (too many nodes, faults) are the user's to read; anything else is a bug, said as such.
    const why = error instanceof ExploreError ? error.message : `the explorer failed: ${error instanceof Error ? error.message : String(error)}`;
    scope.postMessage({ id, error: why });
  }
};
