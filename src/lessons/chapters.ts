/**
 * The storyline as chapters a teacher can run without preparing: what to explain, what to point
 * at on the projector, one "try this" that sets the scene up, the question for the class with
 * its answer, the property at stake, and notes on how a class usually goes.
 *
 * Written in our own words (the seed essay is the reference for the facts, not for the text).
 * Plain data: the lessons page renders it, tests check that every "try this" opens a screen
 * that exists, and nothing here imports from the UI.
 */
import type { AlgorithmName, LogAlgorithmName } from '../machines/spec.ts';
import type { StateMachineName } from '../core/state-machine.ts';
import type { ScenarioName } from '../classroom/scenarios.ts';
import type { PresetName } from '../classroom/preset-names.ts';
import type { BookPresetName } from '../classroom/book-preset-names.ts';

/** The four properties, named as the live checker names them. */
export type PropertyName = 'Agreement' | 'Validity' | 'Termination' | 'Fault tolerance';

export const PROPERTY_NAMES: readonly PropertyName[] = ['Agreement', 'Validity', 'Termination', 'Fault tolerance'];

/** Sets up a chapter's scene in a live room: the dashboard's algorithm, scenario and delay. */
export interface LiveSetup {
  readonly algorithm: AlgorithmName;
  readonly scenario: ScenarioName;
  /** Message delay the teacher should dial in first, in ms (the slider's value). */
  readonly delayMs: number;
}

/** Sets up a chapter's scene in solo mode (no class needed): the simulator in the page. */
export interface SoloSetupHint {
  readonly algorithm: AlgorithmName;
  readonly nodes: number;
  readonly seed: number;
}

/**
 * The demonstration presets (classroom/presets.ts) that show a chapter's failure: "try this"
 * runs them, so the failure happens on cue rather than when the class happens to time it right.
 */
export interface ChapterPresets {
  /** Run in the room on the decision "try this" starts (the preset runs on `live.algorithm`). */
  readonly live: PresetName;
  /** Staged by the solo link (the preset's algorithm is `solo.algorithm`); absent: the chapter's own scene. */
  readonly solo?: PresetName;
  /** The chapter's other presets: the adversary panel offers them on the same decision. */
  readonly more?: readonly PresetName[];
}

interface TryThisText {
  /** What the class does, step by step, once the scene is set up. */
  readonly steps: readonly string[];
  /** What the chapter promises the class will see. */
  readonly outcome: string;
}

/**
 * A second scene on the same chapter, one more click: the variant the chapter discusses (the
 * impatient tiebreak, Paxos with amnesia), a decision of its own with its preset.
 */
export interface FollowUp {
  /** Names the button: what the variant is. */
  readonly title: string;
  readonly live: LiveSetup;
  readonly preset: PresetName;
  readonly outcome: string;
}

/** A write-once chapter's scene: a decision in the room, or a simulation in solo mode. */
export interface DecisionTryThis extends TryThisText {
  readonly kind: 'decision';
  readonly live: LiveSetup;
  readonly solo: SoloSetupHint;
  /** Absent: the chapter's failure has no preset (or it has no failure to show). */
  readonly presets?: ChapterPresets;
  readonly followUp?: FollowUp;
}

/** A replicated log in the room: every connected phone becomes a replica. */
export interface LogLiveSetup {
  readonly algorithm: LogAlgorithmName;
  readonly stateMachine: StateMachineName;
  readonly delayMs: number;
}

/** Solo mode's replicated log, with one of the repository's schedules run on Multi-Paxos and Raft side by side. */
export interface LogSoloSetupHint {
  readonly algorithm: LogAlgorithmName;
  readonly stateMachine: StateMachineName;
  readonly nodes: number;
  readonly seed: number;
  /** A file of tests/scenarios (the schedule format) the comparison runs at once. */
  readonly compare: string;
}

/**
 * The order book's demonstrations (classroom/book-presets.ts) the chapter uses: the adversary
 * panel's Demonstration menu offers them on the book "try this" starts.
 */
export interface BookChapterPresets {
  /** The first one to run. */
  readonly live: BookPresetName;
  readonly more?: readonly BookPresetName[];
}

/** The replication chapter's scene: the order book in the room, or solo mode's log. */
export interface LogTryThis extends TryThisText {
  readonly kind: 'log';
  readonly live: LogLiveSetup;
  readonly solo: LogSoloSetupHint;
  readonly presets?: BookChapterPresets;
}

export type TryThis = DecisionTryThis | LogTryThis;

export interface PropertyVerdict {
  readonly property: PropertyName;
  readonly kept: boolean;
  /** Why, in a sentence a student can repeat. */
  readonly because: string;
}

export interface TeacherNotes {
  /** What usually happens when a class does this. */
  readonly usually: string;
  readonly minutes: number;
  /** If the room does something else: what to do about it. */
  readonly ifNot: readonly string[];
}

export interface Chapter {
  /** Stable id for links: `?lessons=1&chapter=coordinator`. */
  readonly id: string;
  readonly title: string;
  /** A few short paragraphs. */
  readonly explanation: readonly string[];
  /** What to point at on the projector while it runs. */
  readonly watch: readonly string[];
  /** Absent while the chapter's algorithms are not in the live room yet. */
  readonly tryThis?: TryThis;
  readonly question: { readonly ask: string; readonly answer: string };
  readonly verdicts: readonly PropertyVerdict[];
  readonly notes: TeacherNotes;
}

export const CHAPTERS: readonly Chapter[] = [
  {
    id: 'write-once',
    title: '1. Consensus is a variable you can set only once',
    explanation: [
      'Imagine a box with room for exactly one value. Anyone may try to put a value in it; the first attempt that counts wins, and from then on everyone who opens the box sees the same thing. Nobody can change it afterwards. That box is all that "consensus" means here: a write-once variable shared by several computers.',
      'On one computer this is easy: a lock and an if-statement. Our computers are the phones in this room. They cannot look into each other\'s memory; they can only send messages, and messages take time. So each phone keeps its own copy of the box, and the phones must talk until their copies hold the same value.',
      'We will judge every algorithm by four promises. Agreement: no two phones ever end up with different values. Validity: the value is one that somebody actually proposed. Termination: every phone that keeps running eventually learns a value. Fault tolerance: the other three still hold when some phones crash.',
    ],
    watch: [
      'The properties panel: the four promises, checked live while the class plays.',
      'Each phone shows what its own node decided, not what the projector says.',
    ],
    tryThis: {
      kind: 'decision',
      steps: [
        'Everyone joins the room (the QR code on the projector); then the teacher presses "Try this": a Paxos decision on colours starts on every phone.',
        'Three or four students propose different colours, roughly at the same time.',
        'Compare phones: every phone that decided shows the same colour.',
      ],
      live: { algorithm: 'paxos', scenario: 'colors', delayMs: 0 },
      solo: { algorithm: 'paxos', nodes: 5, seed: 1 },
      outcome: 'Every phone shows one and the same colour, and all four properties are green.',
    },
    question: {
      ask: 'Four people proposed four colours, yet every phone shows one. Whose proposal won, and does it matter?',
      answer: 'One of the proposals won; which one depends on how the messages happened to travel. It does not matter which one: the promise is only that everyone gets the same one, and that it was really proposed.',
    },
    verdicts: [
      { property: 'Agreement', kept: true, because: 'every phone reads the same value from the box' },
      { property: 'Validity', kept: true, because: 'the value in the box is one a student proposed' },
      { property: 'Termination', kept: true, because: 'with everyone online, every phone learns the value' },
      { property: 'Fault tolerance', kept: true, because: 'Paxos keeps deciding while a majority is up (chapter 6 shows why)' },
    ],
    notes: {
      usually: 'The class expects the first person to tap to win, and is surprised when it is someone else. That surprise is the lesson: "first" has no meaning when every phone hears things in its own order.',
      minutes: 10,
      ifNot: [
        'If some phones are not part of the decision, they joined after it started: they watch this one and take part in the next (press "Try this" again).',
        'If nothing happens after a proposal, check the participants list on the projector: a phone shown as down is not connected.',
      ],
    },
  },
  {
    id: 'coordinator',
    title: '2. Let one phone decide',
    explanation: [
      'The simplest fix for "everyone hears things in a different order" is to make one phone the boss. Every phone knows the list of members, so every phone can pick the same boss without talking: the one with the highest id. Proposals go to the boss, the boss keeps the first one it receives, and it tells everybody.',
      'This is fast and easy to reason about, and many real systems work this way. But everything now depends on one phone. If the boss goes away, the others keep asking and keep waiting, and nobody can tell whether the boss is slow or gone.',
    ],
    watch: [
      'The coordinator\'s card: every arrow goes to it and comes back from it.',
      'Once it has crashed: Termination turns to "blocked", waiting for the crashed coordinator by name, and Fault tolerance to "blocked".',
    ],
    tryThis: {
      kind: 'decision',
      steps: [
        'Press "Try this": a coordinator decision starts, two phones propose, and the adversary holds both proposals at the coordinator (the member with the highest id) and then crashes it.',
        'Let the other students propose too, and wait half a minute: every phone keeps asking the coordinator.',
        'By hand, without the preset: start the decision, have the coordinator close their tab before anyone proposes, then let everyone else propose.',
      ],
      live: { algorithm: 'coordinator', scenario: 'order-cancellation', delayMs: 500 },
      solo: { algorithm: 'coordinator', nodes: 5, seed: 1 },
      presets: { live: 'coordinator-crash', solo: 'coordinator-crash' },
      outcome: 'Nobody decides: the phones wait for the coordinator forever, and the projector says it is blocked on a crashed node.',
    },
    question: {
      ask: 'The coordinator is gone. Why can\'t the others just pick the next-highest id and carry on?',
      answer: 'Because they cannot know the coordinator is really gone and not merely slow. If it had already decided "ship" and told one phone before going quiet, a new boss might decide "cancel": two answers. Waiting is the only safe choice, and waiting forever is what breaks Termination.',
    },
    verdicts: [
      { property: 'Agreement', kept: true, because: 'only the coordinator ever picks a value' },
      { property: 'Validity', kept: true, because: 'the coordinator keeps a value someone sent it' },
      { property: 'Termination', kept: true, because: 'when nothing crashes, everyone hears the coordinator\'s answer' },
      { property: 'Fault tolerance', kept: false, because: 'one crash, the coordinator\'s, stops everyone' },
    ],
    notes: {
      usually: 'Students suggest electing a new boss. Let them argue it out against the "slow or dead?" question; it is the same question every later chapter runs into.',
      minutes: 10,
      ifNot: [
        'If the class decided anyway (by hand, someone proposed before the coordinator left): press "Try this" again; the preset crashes the coordinator before it can answer.',
        'Restarting the coordinator (the adversary panel\'s Restart, or reopening its tab) brings it back from what it stored, and the class then decides: a good way to end the chapter.',
      ],
    },
  },
  {
    id: 'majority',
    title: '3. No boss: vote, and a majority wins',
    explanation: [
      'Without a boss, phones can vote. Each phone votes once, for the first candidate it hears about, and tells everyone its vote. As soon as some candidate has votes from more than half of the members, that candidate is the value.',
      'Two different candidates can never both collect more than half of the votes, because each phone votes once: this is why Agreement holds. And no single phone is special, so one crash does not stop the vote.',
      'The catch is the split vote. With three candidates in a class of 25, the votes may fall 9, 5 and 11. Everyone has voted, nobody has more than half, and the votes will never change. The class is stuck for good.',
    ],
    watch: [
      'The tally bars against the majority line.',
      'When every vote is in and no bar crosses the line, Termination says the vote is split.',
    ],
    tryThis: {
      kind: 'decision',
      steps: [
        'Press "Try this": a majority vote starts with a 2 s message delay, and the adversary has three phones propose red, blue and green and hands the candidates out so that the votes fall 2, 2 and 1.',
        'Watch the tally until every phone has voted: no bar reaches the majority line.',
        'By hand, in a bigger class: three students propose three colours at the same moment (count down "3, 2, 1, tap") with the delay raised.',
      ],
      live: { algorithm: 'majority', scenario: 'colors', delayMs: 2000 },
      solo: { algorithm: 'majority', nodes: 5, seed: 1 },
      presets: { live: 'majority-split', solo: 'majority-split' },
      outcome: 'No colour reaches a majority: every vote is cast, Termination says "split", nothing is decided, and nothing ever will be.',
    },
    question: {
      ask: 'Everyone has voted and there is no winner. Why not simply vote again?',
      answer: 'A second round needs a moment when everyone agrees the first round failed. A phone that is late might still complete a majority in round one while others already vote in round two, and the two rounds can pick different values. Knowing when to restart is as hard as the original problem.',
    },
    verdicts: [
      { property: 'Agreement', kept: true, because: 'each phone votes once, so two values cannot both have a majority' },
      { property: 'Validity', kept: true, because: 'phones only vote for proposed candidates' },
      { property: 'Termination', kept: false, because: 'a split vote never reaches a majority' },
      { property: 'Fault tolerance', kept: true, because: 'a majority can still form with some phones crashed, when the votes do not split' },
    ],
    notes: {
      usually: 'The preset splits the vote every time. By hand, with a 2 s delay and three simultaneous proposals, a class of 15 or more splits most of the time; small classes tend to agree by luck.',
      minutes: 10,
      ifNot: [
        'If a vote by hand did not split, raise the delay and propose again with three values at once, or press "Try this" for the staged split.',
        'Solo mode stages the same split ("Try it alone"): run it on and the properties panel says the vote is split.',
      ],
    },
  },
  {
    id: 'tiebreak',
    title: '4. Break the tie, and what it costs',
    explanation: [
      'A split vote can be settled by a rule everyone knows in advance: once every vote is in and nobody has a majority, pick the candidate that comes first in alphabetical order. Every phone sees the same complete tally and applies the same rule, so every phone picks the same winner.',
      'Look at the condition: "once every vote is in". A phone that has crashed never votes, so the rest wait for a vote that will never come. One crash is enough to stop the class, just like the coordinator.',
      'An impatient version waits a few seconds and then breaks the tie with whatever votes it has. Now phones may break the tie on different partial tallies and pick different winners. This version is kept in the playground on purpose, marked as broken, so the checker can catch it red-handed.',
    ],
    watch: [
      'With tiebreak: Termination says "blocked", waiting for the crashed phone by name.',
      'With the impatient variant: Agreement turns red ("nodes disagree"), naming who decided which colour, and every phone shows the warning.',
    ],
    tryThis: {
      kind: 'decision',
      steps: [
        'Press "Try this": tiebreak voting starts, the adversary stages a 2–2 tie between red and blue among four phones and crashes the fifth before it votes.',
        'Watch the tally stop one vote short of everyone: nobody decides.',
        'Then press the second button, "Impatient tiebreak": the same tie, but the four lose patience and break it on what they have (blue, first in the alphabet) while the fifth hears red first.',
      ],
      live: { algorithm: 'tiebreak', scenario: 'colors', delayMs: 1500 },
      solo: { algorithm: 'impatient-tiebreak', nodes: 5, seed: 1 },
      presets: { live: 'tiebreak-crash', solo: 'impatient-disagree' },
      followUp: {
        title: 'Impatient tiebreak',
        live: { algorithm: 'impatient-tiebreak', scenario: 'colors', delayMs: 0 },
        preset: 'impatient-disagree',
        outcome: 'Four phones decide blue and the fifth red: Agreement is violated, and the checker names who decided what.',
      },
      outcome: 'Tiebreak waits forever for the crashed phone (Termination: blocked). Impatient tiebreak decides, but not the same value on every phone (Agreement: violated).',
    },
    question: {
      ask: 'Can we fix the impatient version by waiting longer before breaking the tie?',
      answer: 'No amount of waiting tells a slow phone from a crashed one. Wait too little and phones disagree; wait for everyone and one crash blocks the class. Any fixed waiting time is a guess about the network, and the network can always be slower than the guess.',
    },
    verdicts: [
      { property: 'Agreement', kept: true, because: 'tiebreak only decides on a complete tally (the impatient one breaks this)' },
      { property: 'Validity', kept: true, because: 'the rule only picks among proposed candidates' },
      { property: 'Termination', kept: true, because: 'with everyone up, the tally completes and the rule decides' },
      { property: 'Fault tolerance', kept: false, because: 'one crashed phone leaves the tally incomplete forever' },
    ],
    notes: {
      usually: 'Both presets work every time; the impatient one takes a few seconds, since the phones first wait out their patience. By hand, the impatient variant needs overlapping proposals and a tab closed while votes are in flight, and may take several tries.',
      minutes: 15,
      ifNot: [
        'If impatient tiebreak agreed when done by hand, raise the delay to 3 s and close a tab right after the proposals go out, or use the "Impatient tiebreak" button.',
        'Solo mode ("Try it alone") stages the impatient disagreement; run it on and the properties panel reports Agreement violated. Its explorer finds such a run on its own too.',
      ],
    },
  },
  {
    id: 'flp',
    title: '5. Two messages, one phone, and the order decides',
    explanation: [
      'Put the previous chapters side by side and one moment keeps coming back. Two votes are tied 2 to 2; two messages are on their way to the last phone, one for red and one for blue. Whichever arrives first gets its vote, and that vote settles the outcome for everyone. The whole decision hangs on the order of two messages arriving at one phone.',
      'Fischer, Lynch and Paterson proved in 1985 that every algorithm that decides must pass through a moment like this, and that at such a moment it cannot be both safe and sure to finish. If the last phone crashes with both messages in flight, the others can wait for it (and maybe wait forever) or decide without it (and maybe disagree with what it already did). No deterministic algorithm escapes this choice in a network where messages can be arbitrarily slow and one phone may crash.',
      'This does not make consensus impossible in practice. It tells us what to give up: not safety, but the guarantee of finishing in bounded time. The next chapter keeps Agreement always and finishes almost always.',
    ],
    watch: [
      'The two held candidates, red and blue, listed under the fifth node in the adversary panel (in solo mode: the held messages, marked by the explorer).',
      'Which one the class delivers first, and the outcome that follows.',
    ],
    tryThis: {
      kind: 'decision',
      steps: [
        'Press "Try this": a tiebreak decision starts and the adversary stages the scene: four phones tied 2 to 2, both candidates held on their way to the fifth.',
        'Let the class vote on which message to deliver first. Press its Deliver in the adversary panel, then "Let go of everything": that colour is decided everywhere.',
        'Press "Try this" again, deliver the other one first this time, and let go. Then press it once more and crash the fifth phone instead (its Crash button in the adversary panel).',
      ],
      live: { algorithm: 'tiebreak', scenario: 'colors', delayMs: 1500 },
      solo: { algorithm: 'tiebreak', nodes: 5, seed: 1 },
      presets: { live: 'flp-scene', solo: 'flp-scene', more: ['flp-red-first', 'flp-blue-first'] },
      outcome: 'Red first decides red; blue first decides blue; crashing the fifth phone leaves everyone waiting (Termination: blocked).',
    },
    question: {
      ask: 'The fifth node crashed with both messages in flight. What should the other four do?',
      answer: 'Either choice loses something. If they wait, they may wait forever (no Termination). If they decide without it, the fifth node may already have decided differently before it crashed (no Agreement). This is the FLP result in one picture.',
    },
    verdicts: [
      { property: 'Agreement', kept: true, because: 'tiebreak decides only on a complete tally, and every phone reads the same one' },
      { property: 'Validity', kept: true, because: 'both candidates were proposed' },
      { property: 'Termination', kept: false, because: 'with the fifth node crashed, no order of the remaining messages decides' },
      { property: 'Fault tolerance', kept: false, because: 'one crash at the critical moment blocks everyone' },
    ],
    notes: {
      usually: 'Delivering red first and then blue first is the moment the class gets it: same start, same algorithm, different outcome, and the only difference is an order nobody controls.',
      minutes: 15,
      ifNot: [
        'The staged scene works every time, live and in solo mode; if the live room is unsettled, open the solo link on the projector: the explorer there says, after every step, whether both colours are still possible.',
        'If students ask "why not use a timeout?", point back at chapter 4: a timeout is a guess about which node is dead.',
      ],
    },
  },
  {
    id: 'paxos',
    title: '6. Paxos: vote again, safely',
    explanation: [
      'Paxos accepts that a vote can fail and makes it safe to try again at any time. Each attempt has a ballot number, and a higher ballot overrides a lower one. A proposer first asks a majority to promise to ignore lower ballots; with the promises, each phone also reports the value it has already accepted, if any.',
      'Here is the key move: if any phone in that majority already accepted a value, the proposer must propose that value (the one from the highest ballot), not its own. Any two majorities share at least one phone, so once a value has been accepted by a majority, every later ballot discovers it and carries it forward. That is why Agreement holds, whatever crashes or delays happen.',
      'Two proposers can keep pre-empting each other with ever higher ballots: a duel. Paxos does not forbid this (FLP says it cannot), but each proposer waits a random, growing time before retrying, so one of them soon gets through. Every acceptor writes its promise to storage before answering; a variant that forgets its promises after a restart is kept, marked as broken, to show why.',
    ],
    watch: [
      'Ballots and quorum meters: how many promises and accepts each ballot has.',
      'With two of five tabs closed, Paxos still decides: a majority is enough.',
    ],
    tryThis: {
      kind: 'decision',
      steps: [
        'Press "Try this": a Paxos decision starts, two phones propose red and blue, and the adversary hands out the messages so that each proposer\'s ballot is overtaken by the other\'s, four times in a row.',
        'Watch the ballots climb while nobody decides; then the adversary lets go, and after a random backoff one ballot gets through: one colour everywhere.',
        'By hand: start a Paxos decision from the dashboard, crash two of the five phones in the adversary panel (or have two students close their tabs), and let a student propose: the three left decide. Restart one: it comes back with its stored promises and learns the value.',
        'Then press the second button, "Paxos with amnesia": acceptors that forget their promises when they restart let a second colour be chosen.',
      ],
      live: { algorithm: 'paxos', scenario: 'colors', delayMs: 500 },
      solo: { algorithm: 'paxos', nodes: 5, seed: 1 },
      presets: { live: 'paxos-duel', solo: 'paxos-duel' },
      followUp: {
        title: 'Paxos with amnesia',
        live: { algorithm: 'paxos-amnesia', scenario: 'colors', delayMs: 0 },
        preset: 'amnesia-restart',
        outcome: 'Red is chosen, two acceptors restart having forgotten it, and blue is chosen too: Agreement is violated.',
      },
      outcome: 'One value is decided everywhere, even with crashes; a duel delays the decision but never splits it.',
    },
    question: {
      ask: 'Why must a proposer give up its own value when a promise reports an accepted one?',
      answer: 'Because that value might already be chosen: a majority may have accepted it without the proposer knowing. Proposing anything else could create a second chosen value. Carrying the highest accepted value forward is what makes a retry safe.',
    },
    verdicts: [
      { property: 'Agreement', kept: true, because: 'any two majorities overlap, and later ballots adopt what was accepted' },
      { property: 'Validity', kept: true, because: 'proposers only ever carry proposed values' },
      { property: 'Termination', kept: true, because: 'randomised backoff ends duels in practice (never guaranteed: FLP)' },
      { property: 'Fault tolerance', kept: true, because: 'it decides while a majority of members is up' },
    ],
    notes: {
      usually: 'The staged duel always ends in one decision once the adversary lets go. Closing two of five tabs surprises students who expected it to block like tiebreak.',
      minutes: 20,
      ifNot: [
        'For a duel by hand, raise the delay to 1 s or more and have two students propose on a count; if none happens, press "Try this".',
        'The amnesia variant needs restarts at the right moments, which the "Paxos with amnesia" button does for you; solo mode\'s preset menu stages the same run.',
      ],
    },
  },
  {
    id: 'replication',
    title: '7. From one value to a log: Multi-Paxos and Raft',
    explanation: [
      'Real systems rarely decide one value and stop. An online shop must decide a long sequence of commands: place an order, ship it, cancel another. If every replica applies the same commands in the same order, every replica ends in the same state. This is state machine replication, and the sequence is a log.',
      'Multi-Paxos runs one Paxos decision per position in the log, with a stable leader that does the promise phase once for all positions and then needs only one round trip per command. Raft organises the same idea around terms and a leader that pushes its log to followers, with a rule that only entries of the leader\'s own term are committed by counting copies.',
      'The order book makes the stakes concrete: "ship order A" and "cancel order A" pressed at the same moment on two phones must end the same way on every replica, and the losing command must be told so.',
    ],
    watch: ['Each replica\'s log, its commit point, and the leader.', 'The order book on every replica: always identical.'],
    tryThis: {
      kind: 'log',
      steps: [
        'Press "Try this": the order book starts on Raft, and every phone connected now becomes a replica with place, ship and cancel buttons; the projector marks the leader.',
        'Students place a few orders; then two of them press ship and cancel on the same order on a count of three: every book shows the same winner, and the other phone is told why its command lost.',
        'Close the leader\'s tab while orders flow: a new leader takes over within a few seconds and nothing committed is lost; reopen the tab and it catches up.',
        'To show each of these on cue, pick it under Demonstration in the network adversary panel and press Run: the ship/cancel race, the leader\'s crash, or the leader cut off with one follower (its minority stores a command it cannot commit until the partition heals).',
      ],
      live: { algorithm: 'raft', stateMachine: 'orders', delayMs: 0 },
      presets: { live: 'book-ship-or-cancel', more: ['book-leader-crash', 'book-partition'] },
      solo: { algorithm: 'raft', stateMachine: 'orders', nodes: 5, seed: 1, compare: 'raft-re-election.json' },
      outcome: 'Every replica\'s book is identical, before and after the leader\'s crash; the losing command of a ship/cancel pair is refused the same way everywhere.',
    },
    question: {
      ask: 'Ship and cancel of the same order are pressed at the same time. What decides which one wins?',
      answer: 'Whichever command the leader places earlier in the log. Every replica applies the log in order, so every replica sees the same winner, and the later command gets the answer "already shipped" or "already cancelled".',
    },
    verdicts: [
      { property: 'Agreement', kept: true, because: 'no two replicas apply different commands at the same position' },
      { property: 'Validity', kept: true, because: 'only submitted commands enter the log' },
      { property: 'Termination', kept: true, because: 'a leader with a live majority commits each command' },
      { property: 'Fault tolerance', kept: true, because: 'a new leader is elected when the old one crashes, losing nothing committed' },
    ],
    notes: {
      usually:
        '"Try this" starts the order book on Raft (for Multi-Paxos, pick it in the Replicated log box under the decision and press Start): every phone becomes a replica, and the projector shows each replica\'s log, its leader and its book. Closing the leader\'s tab is the moment to stop and ask what should happen; the class sees a new leader within a few seconds. Solo mode ("Try it alone") opens the Raft order book with one schedule, the leader crashing and coming back, run on Multi-Paxos and Raft side by side.',
      minutes: 15,
      ifNot: [
        'If ship and cancel did not collide, ask two students to press them on the same order on a count of three.',
        'If no phone can reach the room, open "Try it alone" on the projector: the Raft order book in solo mode, where you crash the leader yourself, with the same schedule already run on Multi-Paxos and Raft side by side.',
        'To show why Raft commits only entries of the leader\'s own term, start the order book on "Raft without the own-term rule" with five phones and run its demonstration: a shipped order is committed, then overwritten by a cancel, and the checker marks state-machine safety broken.',
      ],
    },
  },
];

export function chapterById(id: string): Chapter | undefined {
  return CHAPTERS.find((c) => c.id === id);
}
