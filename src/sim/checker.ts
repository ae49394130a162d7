/**
 * The property checker: reads a run's trace (proposals, decisions, crashes, restarts and the
 * acceptor probes the simulator records after every step of a Paxos-family node) and reports
 * every way the run broke consensus.
 *
 * - Agreement: no two decisions, by any nodes in any incarnations, carry different values.
 * - Validity: every decided value had been proposed before it was decided.
 *   Both are the shared commit judge's (commit-judge.ts) properties for a log of length one: a
 *   decision is the commit of index 1, a proposal is a submitted command, Agreement is
 *   state-machine safety at index 1 and Validity is "committed command was submitted".
 * - Termination (only for runs with a liveness phase): every node up at the end decided, in its
 *   current incarnation, within the budget after the network healed.
 * - Paxos invariants, from probes: a node's promised ballot never decreases, restarts included
 *   (forgetting a promise is a decrease); an accepted ballot is never above the promised one;
 *   every acceptance of one ballot, on any node, carries one value.
 *
 * Each violation names the seed, the step and virtual time where it became visible, the nodes
 * involved, and the command that replays the run.
 */
import { assertNever } from '../core/assert.ts';
import { ballotLabel, compareBallots } from '../core/quorum.ts';
import type { Ballot, LogCommand, NodeId, Value } from '../core/types.ts';
import { CommitJudge, decidedValueOf, decisionCommand, type Finding } from './commit-judge.ts';
import { formatTime, type TraceEntry } from './trace.ts';

export const PROPERTIES = [
  'agreement',
  'validity',
  'termination',
  'promise-monotonic',
  'accepted-within-promise',
  'one-value-per-ballot',
] as const;
export type Property = (typeof PROPERTIES)[number];

/** Safety properties can be broken by a finite prefix of a run; termination cannot. */
export function isSafety(property: Property): boolean {
  return property !== 'termination';
}

export interface Violation {
  readonly property: Property;
  readonly seed: number;
  readonly step: number;
  readonly time: number;
  readonly nodes: readonly NodeId[];
  /** Self-contained: property, seed, step, time, nodes, what happened, how to reproduce. */
  readonly message: string;
}

export interface LivenessWindow {
  /** Virtual time at which the network healed and the liveness phase began. */
  readonly healedAt: number;
  readonly budgetMs: number;
  /** Where the run stopped. */
  readonly endedAt: number;
  readonly endStep: number;
}

export interface RunRecord {
  readonly seed: number;
  readonly members: readonly NodeId[];
  readonly trace: readonly TraceEntry[];
  /** Present when the run had a liveness phase, so Termination is checked. */
  readonly liveness?: LivenessWindow | undefined;
  /** The command that replays this run, e.g. `npm run sim -- --algorithm paxos … --replay 7`. */
  readonly reproduce: string;
}

export function checkRun(run: RunRecord): Violation[] {
  const violations: Violation[] = [];
  const report = (property: Property, at: { step: number; time: number }, nodes: readonly NodeId[], what: string): void => {
    violations.push({
      property,
      seed: run.seed,
      step: at.step,
      time: at.time,
      nodes,
      message:
        `${PROPERTY_TITLES[property]} violated (seed ${run.seed}, step ${at.step}, t=${formatTime(at.time)}, ` +
        `nodes ${nodes.join(', ')}): ${what}. Reproduce: ${run.reproduce}`,
    });
  };

  const judge = new CommitJudge({ validity: true });
  const incarnation = new Map<NodeId, number>();
  const down = new Set<NodeId>();
  /** node -> incarnation and time of its latest decision */
  const decidedIn = new Map<NodeId, { incarnation: number; time: number }>();
  const lastPromised = new Map<NodeId, { ballot: Ballot | undefined; step: number }>();
  const promiseReported = new Set<NodeId>();
  const acceptedReported = new Set<NodeId>();
  const valueOfBallot = new Map<string, { value: Value; node: NodeId; step: number }>();
  const ballotReported = new Set<string>();

  for (const entry of run.trace) {
    switch (entry.kind) {
      case 'propose':
        judge.submitted(decisionCommand(entry.value));
        break;
      case 'decide': {
        decidedIn.set(entry.node, { incarnation: entry.incarnation, time: entry.time });
        for (const finding of judge.commit(entry.node, entry.incarnation, [{ index: 1, command: decisionCommand(entry.value) }], entry)) {
          reportDecisionFinding(finding, report);
        }
        break;
      }
      case 'start':
      case 'restart':
        incarnation.set(entry.node, entry.incarnation);
        down.delete(entry.node);
        break;
      case 'crash':
        down.add(entry.node);
        break;
      case 'probe': {
        const { promised, accepted } = entry.probe;
        const previous = lastPromised.get(entry.node);
        if (
          previous?.ballot !== undefined &&
          (promised === undefined || compareBallots(promised, previous.ballot) < 0) &&
          !promiseReported.has(entry.node)
        ) {
          promiseReported.add(entry.node);
          report(
            'promise-monotonic',
            entry,
            [entry.node],
            `${entry.node}'s promised ballot went from ${ballotLabel(previous.ballot)} (step ${previous.step}) down to ${ballotLabel(promised)}` +
              (entry.incarnation > 0 ? ` (incarnation ${entry.incarnation}: it forgot its promise across a restart)` : ''),
          );
        }
        if (previous === undefined || !sameOptionalBallot(previous.ballot, promised)) lastPromised.set(entry.node, { ballot: promised, step: entry.step });
        if (accepted !== undefined) {
          if ((promised === undefined || compareBallots(accepted.ballot, promised) > 0) && !acceptedReported.has(entry.node)) {
            acceptedReported.add(entry.node);
            report(
              'accepted-within-promise',
              entry,
              [entry.node],
              `${entry.node} accepted ballot ${ballotLabel(accepted.ballot)} while its promise is only ${ballotLabel(promised)}`,
            );
          }
          const key = ballotLabel(accepted.ballot);
          const known = valueOfBallot.get(key);
          if (known === undefined) {
            valueOfBallot.set(key, { value: accepted.value, node: entry.node, step: entry.step });
          } else if (known.value !== accepted.value && !ballotReported.has(key)) {
            ballotReported.add(key);
            report(
              'one-value-per-ballot',
              entry,
              known.node === entry.node ? [entry.node] : [known.node, entry.node],
              `ballot ${key} carries "${known.value}" (accepted by ${known.node} at step ${known.step}) and "${accepted.value}" (accepted by ${entry.node})`,
            );
          }
        }
        break;
      }
      case 'send':
      case 'duplicate':
      case 'lose':
      case 'hold':
      case 'deliver':
      case 'discard':
      case 'timer':
      case 'persist':
      case 'refuse':
      case 'pause':
      case 'resume':
      case 'partition':
      case 'cut':
      case 'heal':
      case 'link':
      case 'note':
      case 'submit':
      case 'commit':
      case 'role':
      case 'snapshot':
        break;
      default:
        assertNever(entry, 'trace entry');
    }
  }

  if (run.liveness !== undefined) {
    const { healedAt, budgetMs, endedAt, endStep } = run.liveness;
    const deadline = healedAt + budgetMs;
    const undecided = run.members.filter((node) => {
      if (down.has(node)) return false;
      const decision = decidedIn.get(node);
      return decision === undefined || decision.incarnation !== (incarnation.get(node) ?? 0) || decision.time > deadline;
    });
    if (undecided.length > 0) {
      report(
        'termination',
        { step: endStep, time: endedAt },
        undecided,
        `${undecided.join(', ')} ${undecided.length === 1 ? 'is' : 'are'} up but undecided ${formatTime(budgetMs)} after the network healed at ${formatTime(healedAt)}` +
          (down.size > 0 ? ` (down: ${[...down].join(', ')})` : ''),
      );
    }
  }
  return violations;
}

type Report = (property: Property, at: { step: number; time: number }, nodes: readonly NodeId[], what: string) => void;

/** The shared judge's findings for a log of length one, worded as decisions. */
function reportDecisionFinding(finding: Finding, report: Report): void {
  const value = (command: LogCommand): string => decidedValueOf(command) ?? '?';
  switch (finding.kind) {
    case 'conflict': {
      const { first, later } = finding;
      const same = first.node === later.node;
      report(
        'agreement',
        later,
        same ? [later.node] : [first.node, later.node],
        `${first.node} decided "${value(first.command)}" at step ${first.step}, but ${later.node} decided "${value(later.command)}"` +
          (same ? ' (the same node, after a restart or a change of mind)' : ''),
      );
      return;
    }
    case 'unsubmitted':
      report('validity', finding.commit, [finding.commit.node], `${finding.commit.node} decided "${value(finding.commit.command)}", which nobody had proposed`);
      return;
    case 'retracted':
    case 'skipped':
      // A node may announce its one decision more than once; only a different value breaks Agreement.
      return;
    case 'applied-twice':
    case 'applied-late':
    case 'answer-changed':
    case 'phantom-duplicate':
      // Write-once runs apply nothing: there is no state machine behind one decision.
      return;
    default:
      assertNever(finding, 'finding');
  }
}

const PROPERTY_TITLES: Record<Property, string> = {
  agreement: 'Agreement',
  validity: 'Validity',
  termination: 'Termination',
  'promise-monotonic': 'Paxos invariant "promised ballot never decreases"',
  'accepted-within-promise': 'Paxos invariant "accepted ballot ≤ promised ballot"',
  'one-value-per-ballot': 'Paxos invariant "one value per ballot"',
};

export function propertyTitle(property: Property): string {
  return PROPERTY_TITLES[property];
}

/** Unlike core/paxos.ts sameBallot, two absent ballots are equal here: both mean "nothing promised". */
function sameOptionalBallot(a: Ballot | undefined, b: Ballot | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && compareBallots(a, b) === 0);
}
