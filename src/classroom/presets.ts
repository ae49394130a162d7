/**
 * "Show the failure" demonstrations, as data: each preset is a list of steps the network
 * adversary carries out (rules, proposals at named nodes, deliveries of named held messages,
 * crashes and restarts) and the outcome it must reach. Nothing here waits on lucky timing:
 * every ordering that matters is forced by holding messages and releasing them by hand, so a
 * preset reaches its outcome on every run, in the simulator (solo mode, the tests) and in a
 * live room of five phones (the dashboard's runner) alike.
 *
 * Nodes are named by role, n1…n5: the decision's members in sorted order (the simulator's nodes
 * are n1…n5 already; a live room maps them onto its members' peer ids). The coordinator is the
 * highest member, n5. Lessons link to a preset by its name (PRESET_NAMES).
 *
 * `runPreset` interprets the steps against any host as a generator: it yields each condition
 * the next step waits for, so the simulator's driver runs virtual time until it holds and the
 * dashboard's driver waits for the reports.
 */
import type { Value } from '../core/types.ts';
import { PRESET_DUEL_ROUNDS } from '../limits.ts';
import type { AlgorithmName } from '../machines/names.ts';
import { NO_ADVERSARY, type AdversaryRules } from './adversary.ts';
import { PRESET_ALGORITHMS, PRESET_NODES, PRESET_TITLES, type PresetName } from './preset-names.ts';

export type Role = 'n1' | 'n2' | 'n3' | 'n4' | 'n5';
export const ROLES: readonly Role[] = ['n1', 'n2', 'n3', 'n4', 'n5'];
export { PRESET_NODES } from './preset-names.ts';

export type PresetStep =
  /** The adversary's rules from now on (what is held elsewhere is re-judged by them). */
  | { readonly do: 'rules'; readonly rules: AdversaryRules }
  | { readonly do: 'propose'; readonly node: Role; readonly value: Value }
  /** Waits until `at` holds a message of `kind` from `from`, then delivers the newest such. */
  | { readonly do: 'deliver'; readonly at: Role; readonly from: Role; readonly kind: string }
  /** Waits until `at` holds a message of `kind` from `from` (and leaves it held). */
  | { readonly do: 'await-held'; readonly at: Role; readonly from: Role; readonly kind: string }
  /** Waits until every node listed has decided. */
  | { readonly do: 'await-decided'; readonly nodes: readonly Role[] }
  | { readonly do: 'crash' | 'restart'; readonly node: Role }
  /** A line for the class (the dashboard announces it; the simulator writes it in its trace). */
  | { readonly do: 'say'; readonly text: string };

export type PresetOutcome =
  /** No member decides, however long one waits: the algorithm hangs (or is blocked) forever. */
  | { readonly kind: 'no-decision' }
  /** Two members decide differently: Agreement broken. */
  | { readonly kind: 'disagreement' }
  /** Every member up decides `value`. */
  | { readonly kind: 'decided'; readonly value: Value }
  /** Nobody decides while the adversary duels, and everyone agrees once it lets go. */
  | { readonly kind: 'decided-after-duel' }
  /** A scene left for the class to play: nothing more is checked. */
  | { readonly kind: 'staged' };

export interface Preset {
  readonly name: PresetName;
  /** The algorithm it shows (and the simulator runs it on). */
  readonly algorithm: AlgorithmName;
  /** Live decisions it may run on (the FLP scene stages any of the three voting algorithms). */
  readonly runsOn: readonly AlgorithmName[];
  readonly title: string;
  /** What the class should see, in a sentence. */
  readonly lesson: string;
  readonly steps: readonly PresetStep[];
  readonly outcome: PresetOutcome;
}

export { isPresetName, PRESET_NAMES, type PresetName } from './preset-names.ts';

const ALL: readonly Role[] = ROLES;
const rules = (over: Partial<AdversaryRules>): AdversaryRules => ({ ...NO_ADVERSARY, ...over });

/**
 * FLP's bivalent state: n1 proposes red and n2 blue (each hears its own candidate first);
 * n3 is handed red first and n4 blue, so four nodes sit at red 2 / blue 2, and both candidates
 * (with every vote) are held on their way to n5. Whatever n5 hears first decides.
 * `green` gives n5 a proposal of its own first (the split vote).
 */
function twoCamps(options: { readonly fifthProposes?: Value } = {}): PresetStep[] {
  return [
    { do: 'say', text: 'Every message is held: the adversary chooses who hears what first.' },
    { do: 'rules', rules: rules({ holdTo: ALL }) },
    { do: 'propose', node: 'n1', value: 'red' },
    { do: 'propose', node: 'n2', value: 'blue' },
    ...(options.fifthProposes !== undefined ? [{ do: 'propose', node: 'n5', value: options.fifthProposes } as const] : []),
    // Each proposer heard its own candidate and voted for it (its vote is held at the others).
    { do: 'await-held', at: 'n3', from: 'n1', kind: 'vote' },
    { do: 'await-held', at: 'n3', from: 'n2', kind: 'vote' },
    ...(options.fifthProposes !== undefined ? [{ do: 'await-held', at: 'n3', from: 'n5', kind: 'vote' } as const] : []),
    { do: 'deliver', at: 'n3', from: 'n1', kind: 'candidate' },
    { do: 'deliver', at: 'n4', from: 'n2', kind: 'candidate' },
    { do: 'await-held', at: 'n1', from: 'n3', kind: 'vote' },
    { do: 'await-held', at: 'n1', from: 'n4', kind: 'vote' },
    { do: 'rules', rules: rules({ holdTo: options.fifthProposes !== undefined ? [] : ['n5'] }) },
  ];
}

const FLP_STAGE = twoCamps();

function flpFirst(value: 'red' | 'blue'): PresetStep[] {
  const proposer: Role = value === 'red' ? 'n1' : 'n2';
  return [
    ...FLP_STAGE,
    { do: 'await-held', at: 'n5', from: 'n1', kind: 'candidate' },
    { do: 'await-held', at: 'n5', from: 'n2', kind: 'candidate' },
    { do: 'say', text: `Both candidates wait at n5; ${value} is delivered first.` },
    { do: 'deliver', at: 'n5', from: proposer, kind: 'candidate' },
    { do: 'rules', rules: NO_ADVERSARY },
  ];
}

/**
 * FLP's other branch: n5 crashes while both candidates are on their way to it (held at its door,
 * so they die with it). The four others sit at 2–2 and cannot tell a crashed n5 from a slow one.
 */
const FLP_CRASH: PresetStep[] = [
  ...FLP_STAGE,
  { do: 'await-held', at: 'n5', from: 'n1', kind: 'candidate' },
  { do: 'await-held', at: 'n5', from: 'n2', kind: 'candidate' },
  { do: 'say', text: 'Both candidates are on their way to n5, and n5 crashes.' },
  { do: 'crash', node: 'n5' },
];

/**
 * The impatient ending of FLP_CRASH: n1–n4 give up on n5 and break the 2–2 tie (blue, the
 * smallest); n5 was only down for a while: it restarts from storage (it had stored nothing),
 * red reaches it first, and with the red votes of n1 and n3 it decides red. Agreement is broken.
 */
const FLP_CRASH_IMPATIENT: PresetStep[] = [
  ...FLP_CRASH,
  { do: 'say', text: 'n1–n4 stop waiting for n5 and break the 2–2 tie: blue.' },
  { do: 'await-decided', nodes: ['n1', 'n2', 'n3', 'n4'] },
  { do: 'say', text: 'n5 was not gone for good: it restarts and red reaches it first.' },
  { do: 'restart', node: 'n5' },
  { do: 'deliver', at: 'n5', from: 'n1', kind: 'candidate' },
  { do: 'rules', rules: NO_ADVERSARY },
];

/** Proposer `p` completes phase 1 at n3 and n4 (its promises handed back) and sends its accept. */
function phase1(p: Role): PresetStep[] {
  return [
    { do: 'deliver', at: 'n3', from: p, kind: 'prepare' },
    { do: 'deliver', at: 'n4', from: p, kind: 'prepare' },
    { do: 'deliver', at: p, from: 'n3', kind: 'promise' },
    { do: 'deliver', at: p, from: 'n4', kind: 'promise' },
    { do: 'await-held', at: 'n3', from: p, kind: 'accept' },
  ];
}

/** `p`'s accept reaches n3 after n3 promised a higher ballot: refused, so `p` backs off and prepares higher. */
function preempted(p: Role): PresetStep[] {
  return [
    { do: 'deliver', at: 'n3', from: p, kind: 'accept' },
    { do: 'deliver', at: p, from: 'n3', kind: 'nack' },
  ];
}

/**
 * A Paxos duel, forced: every message is held (holdTo all), so nobody accepts what the adversary
 * does not hand over. n1 completes phase 1; n2 completes phase 1 higher; n1's accept is refused
 * and it prepares higher still, completing phase 1 before n2's accept arrives, which is refused in
 * turn… Nobody can decide while it lasts. Then the adversary lets go and backoff settles it.
 */
function duel(): PresetStep[] {
  const steps: PresetStep[] = [
    { do: 'say', text: 'Two proposers, every message held: the adversary lets each pre-empt the other.' },
    { do: 'rules', rules: rules({ holdTo: ALL }) },
    { do: 'propose', node: 'n1', value: 'red' },
    { do: 'propose', node: 'n2', value: 'blue' },
    ...phase1('n1'),
  ];
  for (let round = 0; round < PRESET_DUEL_ROUNDS; round++) {
    const [loser, winner]: [Role, Role] = round % 2 === 0 ? ['n1', 'n2'] : ['n2', 'n1'];
    steps.push(...phase1(winner), ...preempted(loser));
  }
  steps.push(
    { do: 'say', text: 'The adversary lets go: random backoff separates the proposers and one ballot wins.' },
    { do: 'rules', rules: NO_ADVERSARY },
  );
  return steps;
}

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  'flp-red-first': {
    name: 'flp-red-first',
    algorithm: PRESET_ALGORITHMS['flp-red-first'],
    runsOn: ['tiebreak'],
    title: PRESET_TITLES['flp-red-first'],
    lesson: 'Four nodes are split 2–2; the order in which n5 hears the candidates alone decides: red.',
    steps: flpFirst('red'),
    outcome: { kind: 'decided', value: 'red' },
  },
  'flp-blue-first': {
    name: 'flp-blue-first',
    algorithm: PRESET_ALGORITHMS['flp-blue-first'],
    runsOn: ['tiebreak'],
    title: PRESET_TITLES['flp-blue-first'],
    lesson: 'The same state, the other order: blue.',
    steps: flpFirst('blue'),
    outcome: { kind: 'decided', value: 'blue' },
  },
  'flp-scene': {
    name: 'flp-scene',
    algorithm: PRESET_ALGORITHMS['flp-scene'],
    runsOn: ['majority', 'tiebreak', 'impatient-tiebreak'],
    title: PRESET_TITLES['flp-scene'],
    lesson: 'Both candidates are held on their way to n5: deliver one, or crash n5 and watch the others wait (with impatient tiebreak they stop waiting and break Agreement once n5 is back).',
    steps: FLP_STAGE,
    outcome: { kind: 'staged' },
  },
  'flp-crash': {
    name: 'flp-crash',
    algorithm: PRESET_ALGORITHMS['flp-crash'],
    runsOn: ['majority', 'tiebreak'],
    title: PRESET_TITLES['flp-crash'],
    lesson: 'n5 crashes with both candidates on their way: at 2–2 the others need its vote and wait forever.',
    steps: [...FLP_CRASH, { do: 'say', text: 'n1–n4 stand at 2–2 and wait for a vote that never comes.' }, { do: 'rules', rules: NO_ADVERSARY }],
    outcome: { kind: 'no-decision' },
  },
  'flp-crash-impatient': {
    name: 'flp-crash-impatient',
    algorithm: PRESET_ALGORITHMS['flp-crash-impatient'],
    runsOn: ['impatient-tiebreak'],
    title: PRESET_TITLES['flp-crash-impatient'],
    lesson: 'The same crash with impatient tiebreak: n1–n4 stop waiting and take blue; n5 comes back, hears red first and decides red.',
    steps: FLP_CRASH_IMPATIENT,
    outcome: { kind: 'disagreement' },
  },
  'coordinator-crash': {
    name: 'coordinator-crash',
    algorithm: PRESET_ALGORITHMS['coordinator-crash'],
    runsOn: ['coordinator'],
    title: PRESET_TITLES['coordinator-crash'],
    lesson: 'Everyone asks the coordinator (n5); it crashes holding the proposals, and nobody ever decides.',
    steps: [
      { do: 'rules', rules: rules({ holdTo: ['n5'] }) },
      { do: 'propose', node: 'n1', value: 'red' },
      { do: 'propose', node: 'n2', value: 'blue' },
      { do: 'await-held', at: 'n5', from: 'n1', kind: 'initialize' },
      { do: 'crash', node: 'n5' },
      { do: 'say', text: 'The coordinator is down: the others will ask forever.' },
      { do: 'rules', rules: NO_ADVERSARY },
    ],
    outcome: { kind: 'no-decision' },
  },
  'majority-split': {
    name: 'majority-split',
    algorithm: PRESET_ALGORITHMS['majority-split'],
    runsOn: ['majority'],
    title: PRESET_TITLES['majority-split'],
    lesson: 'Votes split red 2, blue 2, green 1: every vote is in, nobody has three, nobody ever decides.',
    steps: twoCamps({ fifthProposes: 'green' }),
    outcome: { kind: 'no-decision' },
  },
  'tiebreak-crash': {
    name: 'tiebreak-crash',
    algorithm: PRESET_ALGORITHMS['tiebreak-crash'],
    runsOn: ['tiebreak'],
    title: PRESET_TITLES['tiebreak-crash'],
    lesson: 'At 2–2, tiebreak needs every vote; n5 crashes before voting and the others wait forever.',
    steps: [...FLP_STAGE, { do: 'await-held', at: 'n5', from: 'n1', kind: 'candidate' }, { do: 'crash', node: 'n5' }, { do: 'rules', rules: NO_ADVERSARY }],
    outcome: { kind: 'no-decision' },
  },
  'impatient-disagree': {
    name: 'impatient-disagree',
    algorithm: PRESET_ALGORITHMS['impatient-disagree'],
    runsOn: ['impatient-tiebreak'],
    title: PRESET_TITLES['impatient-disagree'],
    lesson: 'n1–n4 lose patience at 2–2 and take blue; n5 hears red first, then the votes, and decides red.',
    steps: [
      ...FLP_STAGE,
      { do: 'await-decided', nodes: ['n1', 'n2', 'n3', 'n4'] },
      { do: 'deliver', at: 'n5', from: 'n1', kind: 'candidate' },
      { do: 'rules', rules: NO_ADVERSARY },
    ],
    outcome: { kind: 'disagreement' },
  },
  'amnesia-restart': {
    name: 'amnesia-restart',
    algorithm: PRESET_ALGORITHMS['amnesia-restart'],
    runsOn: ['paxos-amnesia'],
    title: PRESET_TITLES['amnesia-restart'],
    lesson: 'Red is chosen by n1, n2, n3; n2 and n3 restart forgetting it, and with n5 they choose blue.',
    steps: [
      { do: 'rules', rules: rules({ groups: [['n1', 'n2', 'n3'], ['n4', 'n5']], holdTo: ['n2', 'n3'] }) },
      { do: 'propose', node: 'n1', value: 'red' },
      { do: 'deliver', at: 'n2', from: 'n1', kind: 'prepare' },
      { do: 'deliver', at: 'n3', from: 'n1', kind: 'prepare' },
      // n2 and n3 accept red but never hear each other's "accepted": only n1 learns it was chosen.
      { do: 'deliver', at: 'n2', from: 'n1', kind: 'accept' },
      { do: 'deliver', at: 'n3', from: 'n1', kind: 'accept' },
      { do: 'await-decided', nodes: ['n1'] },
      { do: 'say', text: 'Red is chosen. Now n2 and n3 crash and restart: their acceptors forget.' },
      { do: 'crash', node: 'n2' },
      { do: 'crash', node: 'n3' },
      { do: 'rules', rules: rules({ groups: [['n1', 'n4'], ['n2', 'n3', 'n5']] }) },
      { do: 'restart', node: 'n2' },
      { do: 'restart', node: 'n3' },
      { do: 'propose', node: 'n5', value: 'blue' },
      { do: 'await-decided', nodes: ['n5'] },
    ],
    outcome: { kind: 'disagreement' },
  },
  'paxos-duel': {
    name: 'paxos-duel',
    algorithm: PRESET_ALGORITHMS['paxos-duel'],
    runsOn: ['paxos'],
    title: PRESET_TITLES['paxos-duel'],
    lesson: 'The adversary makes two proposers pre-empt each other round after round; once it lets go, backoff lets one ballot win.',
    steps: duel(),
    outcome: { kind: 'decided-after-duel' },
  },
};

/** The presets that show one algorithm's failure (the lessons' "try this"). */
export function presetsFor(algorithm: AlgorithmName): Preset[] {
  return Object.values(PRESETS).filter((p) => p.runsOn.includes(algorithm));
}

// ---- running a preset against a host ---------------------------------------------------------

/** One held message as a preset sees it. */
export interface PresetHeld {
  readonly entry: number;
  readonly from: Role;
  readonly kind: string;
  /** The message in one line (summary.ts): equal for a message and its retransmissions. */
  readonly summary: string;
}

/** What a preset needs of the room it runs in (the simulator or the dashboard). */
export interface PresetHost {
  setRules(rules: AdversaryRules): void;
  propose(node: Role, value: Value): void;
  crash(node: Role): void;
  restart(node: Role): void;
  /** Messages `at` holds now, oldest first. */
  held(at: Role): readonly PresetHeld[];
  deliver(at: Role, entry: number): void;
  hasDecided(node: Role): boolean;
  say(text: string): void;
}

/** What the runner waits for before its next step: `ready()` is re-checked as the room moves. */
export interface PresetWait {
  readonly why: string;
  ready(): boolean;
}

/**
 * The newest held message of `kind` from `from` at `at` that this run has not delivered there
 * before: a retransmission of a message already handed over (a prepare resent while its promise
 * was on the way) is not the next message the step is waiting for.
 */
function newestHeld(host: PresetHost, delivered: ReadonlySet<string>, at: Role, from: Role, kind: string): PresetHeld | undefined {
  const matching = host.held(at).filter((h) => h.from === from && h.kind === kind && !delivered.has(`${at} ${from} ${h.summary}`));
  return matching[matching.length - 1];
}

/**
 * Carries out `preset` on `host`, yielding whenever a step must wait. The driver resumes the
 * generator once the wait's `ready()` holds (or gives up and reports `why`).
 */
export function* runPreset(preset: Preset, host: PresetHost): Generator<PresetWait, void, void> {
  const delivered = new Set<string>();
  for (const step of preset.steps) {
    switch (step.do) {
      case 'rules':
        host.setRules(step.rules);
        break;
      case 'propose':
        host.propose(step.node, step.value);
        break;
      case 'crash':
        host.crash(step.node);
        break;
      case 'restart':
        host.restart(step.node);
        break;
      case 'say':
        host.say(step.text);
        break;
      case 'await-held':
      case 'deliver': {
        const find = () => newestHeld(host, delivered, step.at, step.from, step.kind);
        if (find() === undefined) yield { why: `${step.at} to hold a ${step.kind} from ${step.from}`, ready: () => find() !== undefined };
        const held = find();
        if (held === undefined) throw new Error(`${step.at} holds no ${step.kind} from ${step.from}`);
        if (step.do === 'deliver') {
          delivered.add(`${step.at} ${step.from} ${held.summary}`);
          host.deliver(step.at, held.entry);
        }
        break;
      }
      case 'await-decided': {
        const all = () => step.nodes.every((n) => host.hasDecided(n));
        if (!all()) yield { why: `${step.nodes.join(', ')} to decide`, ready: all };
        break;
      }
      default: {
        const never: never = step;
        throw new Error(`unknown preset step ${JSON.stringify(never)}`);
      }
    }
  }
}

/** A role's peer in a room: members sorted, n1 the first. */
export function roleMap<P extends string>(members: readonly P[]): { peerOf(role: Role): P; roleOf(peer: P): Role | undefined } {
  const sorted = [...members].sort();
  if (sorted.length !== PRESET_NODES) throw new RangeError(`a preset needs ${PRESET_NODES} members, the decision has ${sorted.length}`);
  return {
    peerOf: (role) => sorted[ROLES.indexOf(role)]!,
    roleOf: (peer) => ROLES[sorted.indexOf(peer)],
  };
}

/** Rules written with roles, in a room's peer ids. */
export function rulesInRoom<P extends string>(rules: AdversaryRules, peerOf: (role: Role) => P): AdversaryRules {
  const map = (n: string): string => (ROLES.includes(n as Role) ? peerOf(n as Role) : n);
  return {
    paused: rules.paused,
    holdTo: rules.holdTo.map(map),
    groups: rules.groups.map((g) => g.map(map)),
    cuts: rules.cuts.map((c) => ({ from: map(c.from), to: map(c.to) })),
    slowMs: Object.fromEntries(Object.entries(rules.slowMs).map(([n, ms]) => [map(n), ms])),
  };
}
