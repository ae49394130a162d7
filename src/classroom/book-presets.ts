/**
 * The order book's "try this" demonstrations (chapter 7), as data: each preset is a list of
 * steps the network adversary and the dashboard carry out on a five-replica book (commands
 * submitted at named replicas, partitions, crashes, restarts), each waiting for what the
 * replicas report, and the outcome it must reach. Nothing waits on lucky timing: whoever wins
 * an election is found and named (`await-leader … as`), and the partitions are drawn around the
 * names, so a preset reaches its outcome whichever replica the timers made leader, in the
 * simulator (the tests, many seeds) and in a live room alike.
 *
 * Replicas are named by role, n1…n5 (the book's members in sorted order); a step may bind a
 * name (`as`) to the role it found, and later steps use it. `runBookPreset` interprets the steps
 * against any host as a generator, as `runPreset` does for the write-once presets: it yields
 * each condition the next step waits for.
 */
import { compareEpochs } from '../core/log.ts';
import type { OrderCommand, OrderStatus } from '../core/order-book.ts';
import type { Epoch, LogRole } from '../core/types.ts';
import type { LogAlgorithmName } from '../machines/names.ts';
import type { LogProperty } from '../sim/log-checker.ts';
import { NO_ADVERSARY, type AdversaryRules } from './adversary.ts';
import { BOOK_PRESET_ALGORITHMS, BOOK_PRESET_TITLES, type BookPresetName } from './book-preset-names.ts';
import { ROLES, type PresetWait, type Role } from './presets.ts';

export { BOOK_PRESET_NAMES, isBookPresetName, type BookPresetName } from './book-preset-names.ts';

/** A replica: a role (n1…n5) or a name an earlier step bound. */
type Ref = string;

/** An order's state as a step waits for it: `settled` is shipped or cancelled, whichever. */
export type AwaitedStatus = OrderStatus | 'settled';

export type BookPresetStep =
  | { readonly do: 'say'; readonly text: string }
  /** Waits until exactly one replica that is up leads in the highest term or ballot (of `among`, if given), and names it. */
  | { readonly do: 'await-leader'; readonly as: string; readonly among?: readonly Ref[] }
  /**
   * Waits until one up replica of `among` is a candidate (in the epoch `epochOf` last reported,
   * if given) and every other up replica of `among` follows in that same epoch, and names it.
   * A follower that reached the candidate's epoch while only the two could talk heard it from
   * the candidate's own request, and granted it: so this also waits for that vote.
   */
  | { readonly do: 'await-candidate'; readonly as: string; readonly among: readonly Ref[]; readonly epochOf?: Ref }
  /** Names the first role (n1…n5) none of `notIn` names. */
  | { readonly do: 'pick'; readonly as: string; readonly notIn: readonly Ref[] }
  | { readonly do: 'submit'; readonly at: Ref; readonly command: OrderCommand }
  /** Waits until each replica listed (`up`: every replica up) applied `order` in `status`. */
  | { readonly do: 'await-applied'; readonly at: readonly Ref[] | 'up'; readonly order: string; readonly status: AwaitedStatus }
  /** Waits until `at`'s log holds `command` (stored, committed or not). */
  | { readonly do: 'await-logged'; readonly at: Ref; readonly command: OrderCommand }
  /** The preset fails if any replica listed applied `order` (what a minority must not commit). */
  | { readonly do: 'check-absent'; readonly at: readonly Ref[]; readonly order: string }
  /** A partition into these groups (every replica named in one). */
  | { readonly do: 'partition'; readonly groups: readonly (readonly Ref[])[] }
  | { readonly do: 'heal' }
  | { readonly do: 'crash' | 'restart'; readonly node: Ref };

export type BookPresetOutcome =
  /** Every replica up ends with the same book, these orders in these states. */
  | { readonly kind: 'same-book'; readonly orders: Readonly<Record<string, AwaitedStatus>> }
  /** The checker reports `property` broken (a deliberately broken algorithm). */
  | { readonly kind: 'violation'; readonly property: LogProperty };

export interface BookPreset {
  readonly name: BookPresetName;
  readonly runsOn: readonly LogAlgorithmName[];
  readonly title: string;
  /** What the class should see, in a sentence. */
  readonly lesson: string;
  readonly steps: readonly BookPresetStep[];
  readonly outcome: BookPresetOutcome;
}

const place = (order: string, item: string): OrderCommand => ({ op: 'place', order, item });
const ship = (order: string): OrderCommand => ({ op: 'ship', order });
const cancel = (order: string): OrderCommand => ({ op: 'cancel', order });

/** The three replicas besides the two named: M1, M2, M3 in role order. */
const pickRest = (named: readonly Ref[]): BookPresetStep[] => [
  { do: 'pick', as: 'M1', notIn: named },
  { do: 'pick', as: 'M2', notIn: [...named, 'M1'] },
  { do: 'pick', as: 'M3', notIn: [...named, 'M1', 'M2'] },
];

const SHIP_OR_CANCEL: BookPresetStep[] = [
  { do: 'await-leader', as: 'L' },
  { do: 'submit', at: 'L', command: place('A', 'mug') },
  { do: 'await-applied', at: 'up', order: 'A', status: 'placed' },
  { do: 'pick', as: 'P', notIn: ['L'] },
  { do: 'pick', as: 'Q', notIn: ['L', 'P'] },
  { do: 'say', text: 'Two phones press at once: P ships order A, Q cancels it.' },
  { do: 'submit', at: 'P', command: ship('A') },
  { do: 'submit', at: 'Q', command: cancel('A') },
  { do: 'await-applied', at: 'up', order: 'A', status: 'settled' },
  { do: 'say', text: 'Whichever the leader put first in the log won on every replica; the other was refused.' },
];

const LEADER_CRASH: BookPresetStep[] = [
  { do: 'await-leader', as: 'L' },
  { do: 'pick', as: 'F', notIn: ['L'] },
  { do: 'submit', at: 'L', command: place('A', 'book') },
  { do: 'submit', at: 'F', command: place('B', 'lamp') },
  { do: 'await-applied', at: 'up', order: 'A', status: 'placed' },
  { do: 'await-applied', at: 'up', order: 'B', status: 'placed' },
  { do: 'say', text: 'A and B are committed. Now the leader crashes.' },
  { do: 'crash', node: 'L' },
  { do: 'await-leader', as: 'L2' },
  { do: 'say', text: 'A new leader took over: orders go on, and A and B are still there.' },
  { do: 'submit', at: 'L2', command: place('C', 'chair') },
  { do: 'await-applied', at: 'up', order: 'C', status: 'placed' },
  { do: 'await-applied', at: 'up', order: 'A', status: 'placed' },
  { do: 'await-applied', at: 'up', order: 'B', status: 'placed' },
  { do: 'say', text: 'The old leader restarts from its stored log and catches up.' },
  { do: 'restart', node: 'L' },
  { do: 'await-applied', at: ['L'], order: 'C', status: 'placed' },
];

const PARTITION: BookPresetStep[] = [
  { do: 'await-leader', as: 'L' },
  { do: 'submit', at: 'L', command: place('A', 'book') },
  { do: 'await-applied', at: 'up', order: 'A', status: 'placed' },
  { do: 'pick', as: 'F', notIn: ['L'] },
  ...pickRest(['L', 'F']),
  { do: 'say', text: 'The leader and one follower are cut off from the other three.' },
  { do: 'partition', groups: [['L', 'F'], ['M1', 'M2', 'M3']] },
  { do: 'submit', at: 'L', command: place('B', 'lamp') },
  { do: 'await-logged', at: 'L', command: place('B', 'lamp') },
  { do: 'await-leader', as: 'L2', among: ['M1', 'M2', 'M3'] },
  { do: 'say', text: 'The three elected a leader of their own and go on; the old leader holds B but cannot commit it.' },
  { do: 'submit', at: 'L2', command: place('C', 'chair') },
  { do: 'await-applied', at: ['M1', 'M2', 'M3'], order: 'C', status: 'placed' },
  { do: 'check-absent', at: ['L', 'F', 'M1', 'M2', 'M3'], order: 'B' },
  { do: 'say', text: 'Healed: the two rejoin, learn the newer term or ballot, and catch up.' },
  { do: 'heal' },
  { do: 'await-applied', at: ['L', 'F'], order: 'C', status: 'placed' },
];

/**
 * The paper's Figure 8 on the broken variant, staged with partitions and crashes only:
 * A's "ship" reaches just one follower B; A crashes; L2, elected by the other three, is cut off
 * and stores "cancel" at the same index with its newer term; A restarts and the leader of A, B
 * and D (A or B) replicates "ship" to D: stored on three of five, it is committed by counting
 * copies, although it is from an older term. Then L2 returns with D and E: its log's last term
 * is newer, so they elect it, it overwrites the committed "ship" and commits "cancel" at the
 * same index. The checker reports two commands committed at one index.
 */
const FIGURE_8: BookPresetStep[] = [
  { do: 'await-leader', as: 'A' },
  { do: 'submit', at: 'A', command: place('o1', 'book') },
  { do: 'await-applied', at: 'up', order: 'o1', status: 'placed' },
  { do: 'pick', as: 'B', notIn: ['A'] },
  ...pickRest(['A', 'B']),
  { do: 'say', text: 'A and B are cut off; A takes "ship o1", which only B stores.' },
  { do: 'partition', groups: [['A', 'B'], ['M1', 'M2', 'M3']] },
  { do: 'submit', at: 'A', command: ship('o1') },
  { do: 'await-logged', at: 'B', command: ship('o1') },
  { do: 'crash', node: 'A' },
  { do: 'await-leader', as: 'L2', among: ['M1', 'M2', 'M3'] },
  { do: 'pick', as: 'D', notIn: ['A', 'B', 'L2'] },
  { do: 'pick', as: 'E', notIn: ['A', 'B', 'L2', 'D'] },
  { do: 'say', text: 'The other three elected L2 in a newer term; L2 is cut off and stores "cancel o1" alone.' },
  { do: 'partition', groups: [['L2'], ['A', 'B', 'D'], ['E']] },
  { do: 'submit', at: 'L2', command: cancel('o1') },
  { do: 'await-logged', at: 'L2', command: cancel('o1') },
  { do: 'say', text: 'A restarts; A or B leads A, B and D, and copies "ship o1" to D: three of five store it, so it commits.' },
  { do: 'restart', node: 'A' },
  { do: 'await-leader', as: 'L3', among: ['A', 'B'] },
  { do: 'await-applied', at: ['L3'], order: 'o1', status: 'shipped' },
  { do: 'say', text: 'L2 comes back with D and E; its last term is newer, so they elect it, and it commits "cancel" over the committed "ship".' },
  { do: 'partition', groups: [['L2', 'D', 'E'], ['A', 'B']] },
  { do: 'await-applied', at: ['L2'], order: 'o1', status: 'cancelled' },
];

/**
 * Raft that forgets its vote, two leaders in one term, staged with crashes, restarts and one
 * partition only: the election itself is the algorithm's. With three replicas down, X asks V for
 * its vote in term T and gets it, but two votes are no majority. V crashes; L, restarted, gives X
 * the third vote and X leads term T. Cut off from X, Y restarts alone and campaigns until it too
 * is a candidate in term T; V and W restart on its side. V stored term T but not whom it voted
 * for, so it votes again, for Y: with W, Y also leads term T. Correct Raft stored the vote: V
 * refuses, and Y wins only the next term.
 */
const FORGOTTEN_VOTE: BookPresetStep[] = [
  { do: 'await-leader', as: 'L' },
  { do: 'submit', at: 'L', command: place('o1', 'book') },
  { do: 'await-applied', at: 'up', order: 'o1', status: 'placed' },
  { do: 'pick', as: 'P', notIn: ['L'] },
  { do: 'pick', as: 'Q', notIn: ['L', 'P'] },
  { do: 'pick', as: 'Y', notIn: ['L', 'P', 'Q'] },
  { do: 'pick', as: 'W', notIn: ['L', 'P', 'Q', 'Y'] },
  { do: 'say', text: 'Three replicas go down; the two left cannot elect anyone, but one of them asks the other for its vote.' },
  { do: 'crash', node: 'L' },
  { do: 'crash', node: 'Y' },
  { do: 'crash', node: 'W' },
  { do: 'await-candidate', as: 'X', among: ['P', 'Q'] },
  { do: 'pick', as: 'V', notIn: ['L', 'Y', 'W', 'X'] },
  { do: 'say', text: 'V voted for X in this term and crashes; L comes back on X’s side and gives it the third vote.' },
  { do: 'crash', node: 'V' },
  { do: 'partition', groups: [['X', 'L'], ['V', 'Y', 'W']] },
  { do: 'restart', node: 'L' },
  { do: 'await-leader', as: 'X', among: ['X'] },
  { do: 'say', text: 'X leads. On the other side Y restarts alone and campaigns until it asks for votes in X’s term.' },
  { do: 'restart', node: 'Y' },
  { do: 'await-candidate', as: 'Y', among: ['Y'], epochOf: 'X' },
  { do: 'say', text: 'V and W restart next to Y. V kept the term but not whom it voted for: it can vote again.' },
  { do: 'restart', node: 'V' },
  { do: 'restart', node: 'W' },
];

/**
 * Multi-Paxos that ignores what promises report, a chosen command overwritten, staged with
 * partitions, crashes and a restart only. A's "ship o1" is accepted by A, B and M1 and chosen;
 * A applies it. A crashes; B restarts (what was chosen is not stored, only what B accepted), and
 * B, M2 and M3 elect a leader. B's promise reports the accepted ship, as the quorums overlap;
 * the broken leader ignores it and puts its own commands and no-ops in the open slots. Correct
 * Multi-Paxos proposes the reported ship again, and the cancel is refused.
 */
const NO_ADOPT: BookPresetStep[] = [
  { do: 'await-leader', as: 'A' },
  { do: 'submit', at: 'A', command: place('o1', 'book') },
  { do: 'await-applied', at: 'up', order: 'o1', status: 'placed' },
  { do: 'pick', as: 'B', notIn: ['A'] },
  ...pickRest(['A', 'B']),
  { do: 'say', text: 'M2 and M3 are cut off; A ships o1, and A, B and M1 accept it: three of five, so it is chosen.' },
  { do: 'partition', groups: [['A', 'B', 'M1'], ['M2', 'M3']] },
  { do: 'submit', at: 'A', command: ship('o1') },
  { do: 'await-applied', at: ['A'], order: 'o1', status: 'shipped' },
  { do: 'say', text: 'A crashes and B restarts; B, M2 and M3 elect a new leader. B still holds the ship it accepted.' },
  { do: 'crash', node: 'A' },
  { do: 'crash', node: 'B' },
  { do: 'partition', groups: [['B', 'M2', 'M3'], ['A', 'M1']] },
  { do: 'restart', node: 'B' },
  { do: 'await-leader', as: 'L2', among: ['B', 'M2', 'M3'] },
  { do: 'say', text: 'The new leader is told about the ship but fills the open slots with its own commands: a cancel and a new order.' },
  { do: 'submit', at: 'L2', command: cancel('o1') },
  { do: 'submit', at: 'L2', command: place('o2', 'lamp') },
  { do: 'await-applied', at: ['L2'], order: 'o2', status: 'placed' },
];

export const BOOK_PRESETS: Readonly<Record<BookPresetName, BookPreset>> = {
  'book-ship-or-cancel': {
    name: 'book-ship-or-cancel',
    runsOn: BOOK_PRESET_ALGORITHMS['book-ship-or-cancel'],
    title: BOOK_PRESET_TITLES['book-ship-or-cancel'],
    lesson: 'Ship and cancel of order A are submitted at the same moment at two followers: one wins on every replica, the other is refused.',
    steps: SHIP_OR_CANCEL,
    outcome: { kind: 'same-book', orders: { A: 'settled' } },
  },
  'book-leader-crash': {
    name: 'book-leader-crash',
    runsOn: BOOK_PRESET_ALGORITHMS['book-leader-crash'],
    title: BOOK_PRESET_TITLES['book-leader-crash'],
    lesson: 'The leader crashes after A and B are committed: a new leader is elected, C is committed, A and B are still everywhere, and the old leader catches up when it restarts.',
    steps: LEADER_CRASH,
    outcome: { kind: 'same-book', orders: { A: 'placed', B: 'placed', C: 'placed' } },
  },
  'book-partition': {
    name: 'book-partition',
    runsOn: BOOK_PRESET_ALGORITHMS['book-partition'],
    title: BOOK_PRESET_TITLES['book-partition'],
    lesson: 'Cut off with one follower, the leader cannot commit B; the majority elects its own leader and commits C; after healing everyone has C.',
    steps: PARTITION,
    outcome: { kind: 'same-book', orders: { A: 'placed', C: 'placed' } },
  },
  'book-figure-8': {
    name: 'book-figure-8',
    runsOn: BOOK_PRESET_ALGORITHMS['book-figure-8'],
    title: BOOK_PRESET_TITLES['book-figure-8'],
    lesson: 'Committing an older term’s entry by counting copies is unsafe: "ship o1" is committed, then overwritten by "cancel o1"; the checker reports two commands at one index.',
    steps: FIGURE_8,
    outcome: { kind: 'violation', property: 'state-machine-safety' },
  },
  'book-forgotten-vote': {
    name: 'book-forgotten-vote',
    runsOn: BOOK_PRESET_ALGORITHMS['book-forgotten-vote'],
    title: BOOK_PRESET_TITLES['book-forgotten-vote'],
    lesson: 'A replica that does not store whom it voted for votes a second time in the same term after a restart: two replicas lead that term, and the checker reports it.',
    steps: FORGOTTEN_VOTE,
    outcome: { kind: 'violation', property: 'election-safety' },
  },
  'book-no-adopt': {
    name: 'book-no-adopt',
    runsOn: BOOK_PRESET_ALGORITHMS['book-no-adopt'],
    title: BOOK_PRESET_TITLES['book-no-adopt'],
    lesson: 'A new leader that does not take over the values its promises report writes its own command where "ship o1" was already chosen: replicas apply different commands at one index.',
    steps: NO_ADOPT,
    outcome: { kind: 'violation', property: 'state-machine-safety' },
  },
};

/** The presets the teacher's menu offers on a book of `algorithm`. */
export function bookPresetsFor(algorithm: LogAlgorithmName): BookPreset[] {
  return Object.values(BOOK_PRESETS).filter((p) => p.runsOn.includes(algorithm));
}

// ---- running a preset against a host ---------------------------------------------------------

/** What a book preset needs of the room it runs in (the simulator or the dashboard). */
export interface BookPresetHost {
  setRules(rules: AdversaryRules): void;
  submit(node: Role, command: OrderCommand): void;
  crash(node: Role): void;
  restart(node: Role): void;
  isUp(node: Role): boolean;
  /** The node's role and epoch as it last said (undefined: nothing known). */
  roleOf(node: Role): { readonly role: LogRole; readonly epoch: Epoch } | undefined;
  /** `order`'s state as `node`'s replica applied it (undefined: not placed there). */
  orderStatus(node: Role, order: string): OrderStatus | undefined;
  /** `node`'s log holds `command` (committed or not). */
  logged(node: Role, command: OrderCommand): boolean;
  say(text: string): void;
}

/**
 * What a step waits for. `promptly`: the next steps must act as soon as it holds, before the
 * next retransmit or timeout changes it (a candidate stays one only for an election timeout);
 * other waits are for states that last, and a runner may look at them less often.
 */
export interface BookPresetWait extends PresetWait {
  readonly promptly?: boolean;
}

export class BookPresetFailure extends Error {
  override readonly name = 'BookPresetFailure';
}

function statusMatches(status: OrderStatus | undefined, wanted: AwaitedStatus): boolean {
  return wanted === 'settled' ? status === 'shipped' || status === 'cancelled' : status === wanted;
}

/** The one up node of `among` that leads in the highest epoch; undefined when none or a tie. */
export function soleLeader(host: BookPresetHost, among: readonly Role[]): Role | undefined {
  const leaders = among.flatMap((n) => {
    const said = host.isUp(n) ? host.roleOf(n) : undefined;
    return said?.role === 'leader' ? [{ n, epoch: said.epoch }] : [];
  });
  leaders.sort((a, b) => compareEpochs(b.epoch, a.epoch));
  const [first, second] = leaders;
  if (first === undefined || (second !== undefined && compareEpochs(first.epoch, second.epoch) === 0)) return undefined;
  return first.n;
}

/**
 * The one up node of `among` that is a candidate, in `reference`'s epoch when given, while every
 * other up node of `among` follows in that epoch; undefined otherwise.
 */
export function soleCandidate(host: BookPresetHost, among: readonly Role[], reference?: Role): Role | undefined {
  const said = among.flatMap((n) => {
    const role = host.isUp(n) ? host.roleOf(n) : undefined;
    return role === undefined ? [] : [{ n, ...role }];
  });
  const candidates = said.filter((s) => s.role === 'candidate');
  const [candidate] = candidates;
  if (candidate === undefined || candidates.length > 1) return undefined;
  if (reference !== undefined) {
    const wanted = host.isUp(reference) ? host.roleOf(reference)?.epoch : undefined;
    if (wanted === undefined || compareEpochs(wanted, candidate.epoch) !== 0) return undefined;
  }
  const othersFollow = said.every((s) => s === candidate || (s.role === 'follower' && compareEpochs(s.epoch, candidate.epoch) === 0));
  return othersFollow ? candidate.n : undefined;
}

/**
 * Carries out `preset` on `host`, yielding whenever a step must wait; the driver resumes it once
 * the wait's `ready()` holds (or gives up and reports `why`). Throws BookPresetFailure when a
 * check fails or a name is unknown.
 */
export function* runBookPreset(preset: BookPreset, host: BookPresetHost): Generator<BookPresetWait, void, void> {
  const names = new Map<string, Role>();
  const resolve = (ref: Ref): Role => {
    const role = names.get(ref) ?? (ROLES.includes(ref as Role) ? (ref as Role) : undefined);
    if (role === undefined) throw new BookPresetFailure(`preset ${preset.name}: no replica is named ${ref}`);
    return role;
  };
  const nodesOf = (at: readonly Ref[] | 'up'): Role[] => (at === 'up' ? ROLES.filter((n) => host.isUp(n)) : at.map(resolve));
  for (const step of preset.steps) {
    switch (step.do) {
      case 'say':
        host.say(step.text);
        break;
      case 'await-leader': {
        const among = step.among === undefined ? ROLES : step.among.map(resolve);
        const find = () => soleLeader(host, among);
        if (find() === undefined) yield { why: `a leader${step.among === undefined ? '' : ` among ${step.among.join(', ')}`}`, ready: () => find() !== undefined };
        names.set(step.as, find()!);
        break;
      }
      case 'await-candidate': {
        const among = step.among.map(resolve);
        const reference = step.epochOf === undefined ? undefined : resolve(step.epochOf);
        const find = () => soleCandidate(host, among, reference);
        if (find() === undefined) {
          const where = `a candidate among ${step.among.join(', ')}${step.epochOf === undefined ? ' the others follow' : ` in ${step.epochOf}’s term or ballot`}`;
          yield { why: where, ready: () => find() !== undefined, promptly: true };
        }
        names.set(step.as, find()!);
        break;
      }
      case 'pick': {
        const taken = new Set(step.notIn.map(resolve));
        const role = ROLES.find((n) => !taken.has(n));
        if (role === undefined) throw new BookPresetFailure(`preset ${preset.name}: no replica left to name ${step.as}`);
        names.set(step.as, role);
        break;
      }
      case 'submit':
        host.submit(resolve(step.at), step.command);
        break;
      case 'await-applied': {
        const ready = () => {
          const nodes = nodesOf(step.at);
          return nodes.length > 0 && nodes.every((n) => host.isUp(n) && statusMatches(host.orderStatus(n, step.order), step.status));
        };
        if (!ready()) yield { why: `${step.at === 'up' ? 'every replica up' : step.at.join(', ')} to apply ${step.order} ${step.status}`, ready };
        break;
      }
      case 'await-logged': {
        const node = resolve(step.at);
        const ready = () => host.logged(node, step.command);
        if (!ready()) yield { why: `${step.at} to store ${step.command.op} ${step.command.order}`, ready };
        break;
      }
      case 'check-absent': {
        const applied = step.at.map(resolve).filter((n) => host.orderStatus(n, step.order) !== undefined);
        if (applied.length > 0) throw new BookPresetFailure(`preset ${preset.name}: ${applied.join(', ')} applied ${step.order}, which no majority stored`);
        break;
      }
      case 'partition':
        host.setRules({ ...NO_ADVERSARY, groups: step.groups.map((g) => g.map(resolve)) });
        break;
      case 'heal':
        host.setRules(NO_ADVERSARY);
        break;
      case 'crash':
        host.crash(resolve(step.node));
        break;
      case 'restart':
        host.restart(resolve(step.node));
        break;
      default: {
        const never: never = step;
        throw new Error(`unknown book preset step ${JSON.stringify(never)}`);
      }
    }
  }
}

/**
 * Whether `outcome` shows: every replica up agrees and holds the orders as listed (`sameState`
 * says whether their books are identical), or the checker found the property broken.
 */
export function outcomeReached(
  outcome: BookPresetOutcome,
  host: Pick<BookPresetHost, 'isUp' | 'orderStatus'>,
  judged: { readonly sameState: boolean; readonly violations: readonly LogProperty[] },
): boolean {
  switch (outcome.kind) {
    case 'same-book': {
      const up = ROLES.filter((n) => host.isUp(n));
      if (up.length === 0 || !judged.sameState || judged.violations.length > 0) return false;
      return Object.entries(outcome.orders).every(([order, status]) => up.every((n) => statusMatches(host.orderStatus(n, order), status)));
    }
    case 'violation':
      return judged.violations.includes(outcome.property);
    default: {
      const never: never = outcome;
      throw new Error(`unknown book preset outcome ${JSON.stringify(never)}`);
    }
  }
}
