/**
 * One member's node of one decision, running in a student's tab: a write-once algorithm is a
 * log of length one, so this is the one live host of a machine (MachineHost: start, clock,
 * persist-before-reply, the write turn of a `persistPerTurn` algorithm, refusals, reports) over
 * the one storage adapter every node has (NodeStore: the machine's `hard` op under the log's
 * hard key, one small write per step), plus what is a decision's own: the values it was asked
 * to propose (stored with its announcement, beside its log) and "the commit of index 1 is the
 * decision" (a fact of the step that made it).
 * Closing the tab is a crash; opening it again restarts this node from what it persisted.
 */
import type { Value } from '../core/types.ts';
import { onceDurable } from '../core/write-once.ts';
import type { OnceAlgorithmSpec } from '../machines/spec.ts';
import { MAX_FEED_ENTRIES_PER_REPORT, REPORT_INTERVAL_MS_PER_MEMBER } from '../limits.ts';
import type { PeerId } from '../transport/types.ts';
import type { DecisionAnnouncement } from './protocol.ts';
import { MachineHost } from './machine-host.ts';
import { NodeStore, type NodeFacts } from './node-store.ts';
import { startingDurable, type NodeHostOptions } from './node-host.ts';

export interface LiveNodeOptions extends NodeHostOptions {
  readonly decision: DecisionAnnouncement;
  readonly spec: OnceAlgorithmSpec;
}

/** A decision's facts as its store holds them (the store was opened for a decision, so they are one). */
function decisionFacts(store: NodeStore): Extract<NodeFacts, { kind: 'decision' }> {
  const facts = store.facts;
  if (facts.kind !== 'decision') throw new Error(`the node store of a decision holds a ${facts.kind}`);
  return facts;
}

export class LiveNode extends MachineHost {
  private readonly file: NodeStore;
  /** The decision's members as a set: asked of every inbound message, so O(1) rather than a scan of the room. */
  private readonly memberSet: ReadonlySet<PeerId>;

  constructor(private readonly options: LiveNodeOptions) {
    const file = new NodeStore(options.store, { kind: 'decision', decision: options.decision, proposed: [] });
    const previous = file.read;
    // A write-once machine's state is its log's `hard`: what it starts from (UNREADABLE_DURABLE
    // if unreadable) and what the report tells the dashboard's replay, bare as before.
    const hard = startingDurable(previous.kind === 'ok' ? { kind: 'ok', durable: previous.durable?.hard } : previous);
    super(options, {
      spec: options.spec,
      members: options.decision.members,
      storage: file,
      commitIsDecision: true,
      report: {
        start: { timing: options.timing, ...(hard !== undefined ? { durable: hard } : {}) },
        restarted: previous.kind !== 'absent',
        minIntervalMs: REPORT_INTERVAL_MS_PER_MEMBER * options.decision.members.length,
        after: (fn, ms) => (options.hostClock ?? options.clock).setTimeout(fn, ms),
      },
    });
    this.file = file;
    this.memberSet = new Set(options.decision.members);
    this.listenOnly = previous.kind === 'unreadable';
    // A first start stores the decision (a reopened tab finds it before anyone re-announces it);
    // a decision stored by an older build is migrated to the one layout now.
    if (!file.open()) this.storageFull = true;
    this.startMachine(onceDurable(hard));
  }

  get decision(): DecisionAnnouncement {
    return this.options.decision;
  }

  get proposed(): readonly Value[] {
    return decisionFacts(this.file).proposed;
  }

  protected override proposedValues(): readonly Value[] {
    return this.proposed;
  }

  /** `tryInitialize(value)` on this node. The proposal is stored first so a restart shows it. */
  propose(value: Value): void {
    if (this.stopped) return;
    const facts = decisionFacts(this.file);
    if (facts.proposed.length < MAX_FEED_ENTRIES_PER_REPORT) {
      if (!this.file.saveFacts({ ...facts, proposed: [...facts.proposed, value] })) return this.stopForStorage();
      this.reports.noteProposed(value);
    }
    this.step({ kind: 'propose', value }, { type: 'tryInitialize', value });
  }

  /** Who may send this node algorithm messages (InboxHost.receive refuses and reports the rest). */
  protected isMember(peer: PeerId): boolean {
    return this.memberSet.has(peer);
  }

  protected parseMessage(raw: unknown): unknown {
    return this.options.spec.parseMessage(raw);
  }
}
