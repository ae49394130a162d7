/**
 * Every limit in the product, in one place, each with the reason it has the value it has.
 * Layers import from here; nothing else hard-codes a bound.
 */

/**
 * Largest wire message we accept or send, in bytes of JSON. PeerJS's 'json' serialization
 * drops anything from ~16,300 bytes; staying under 16 KB keeps every message one SCTP chunk
 * and makes an oversized message a protocol error rather than a silent loss.
 */
export const MAX_MESSAGE_BYTES = 16 * 1024;

/** Display names: enough for "Ms. Okonkwo-Fitzgerald", short enough for a phone tile. */
export const MAX_NAME_LENGTH = 32;

/** Proposed values (colours, user names, "warehouse: ship"): short text fits a projector tile. */
export const MAX_VALUE_LENGTH = 40;

/**
 * Peers in one room. A full mesh has n(n-1)/2 WebRTC links; measured here, 20 tabs mesh in
 * ~3 s on 2 cores and 40 saturate a laptop. 40 covers a big class plus the teacher's screen.
 */
export const MAX_PEERS_PER_ROOM = 40;

/** Rooms one signaling server holds at once: a school's worth, far below PeerServer's 5000 sockets. */
export const MAX_ROOMS = 200;

/** Room codes: 5 characters from a 25-character alphabet ≈ 9.8 million codes, easy to read aloud. */
export const ROOM_CODE_LENGTH = 5;
/** No 0/O, 1/I/L, 5/S, 2/Z, U/V: characters people confuse when reading from a projector. */
export const ROOM_CODE_ALPHABET = 'ABCDEFGHJKMNPQRTWXY346789';

/**
 * Heartbeats over the data channel. PeerJS 'close' never fires after an abrupt tab close, and
 * ICE only reports 'failed' after ~15 s, so liveness is ours: a beat every second, suspected
 * after 3 missed, down after 10 missed (a backgrounded phone throttles timers to ~1/s, and may
 * still come back).
 */
export const HEARTBEAT_INTERVAL_MS = 1_000;
export const SUSPECT_AFTER_MS = 3_000;
export const DOWN_AFTER_MS = 10_000;

/** Reconnecting to the signaling server after it restarts: exponential backoff, capped. */
export const SIGNALING_RETRY_BASE_MS = 500;
export const SIGNALING_RETRY_MAX_MS = 10_000;

/**
 * Outbound queue per peer while its channel is not open yet. Beyond this we drop the oldest:
 * every algorithm retransmits what it still needs, so a bounded queue loses nothing that matters.
 */
export const MAX_QUEUED_PER_PEER = 256;

/** Messages a peer may send us per second before we drop the excess (a runaway or hostile tab). */
export const MAX_INBOUND_PER_PEER_PER_SECOND = 500;

/** Simulator: a run that has not settled after this many steps is a bug, not a long run. */
export const SIM_MAX_STEPS = 200_000;

/** Classroom: the message-delay control goes up to 3 s so people can follow each arrow. */
export const MAX_MESSAGE_DELAY_MS = 3_000;

/** Classroom reports: texts in a node's view (phase, "waiting for …", field labels/values). */
export const MAX_REPORT_TEXT_LENGTH = 200;
/** Labelled facts one node view may carry (ballot, promised, my vote…): a screenful. */
export const MAX_VIEW_FIELDS = 16;
/** Entries (traffic lines, proposals, refusals) in one report: one step of a 40-node broadcast. */
export const MAX_FEED_ENTRIES_PER_REPORT = 96;
/** Lines of the dashboard's message feed kept in memory: enough to scroll back one decision. */
export const MAX_FEED_LINES = 400;
/** Decisions kept in a room's visible history (and in each tab's storage). */
export const MAX_DECISION_HISTORY = 30;

/**
 * Peers one transport remembers (live ones plus those shown as down). Down peers stay listed so
 * the room sees who left; beyond this the longest-silent down peers are forgotten, so a long
 * lesson with many reloads and new tabs cannot grow the list without bound.
 */
export const MAX_KNOWN_PEERS = 2 * MAX_PEERS_PER_ROOM;

/**
 * Algorithm messages for a decision whose announcement has not reached this tab yet (the
 * teacher's announcement and a fast classmate's first vote travel on different links) are held
 * this long, at most this many, then refused as unknown. Enough for one broadcast of a full room.
 */
export const EARLY_MESSAGE_WAIT_MS = 5_000;
export const MAX_EARLY_MESSAGES = 2 * MAX_PEERS_PER_ROOM;

/** Solo mode: 3 nodes is the smallest group with a meaningful majority; 9 cards still fit a projector. */
export const SOLO_MIN_NODES = 3;
export const SOLO_MAX_NODES = 9;
/** Solo mode: trace lines shown, about one screen; the whole trace stays in the simulator. */
export const SOLO_TRACE_LINES = 30;
/**
 * Solo mode: held messages listed. Nodes keep retransmitting while messages are held, so the
 * pile grows by dozens per virtual second; the oldest ones (the ones that matter) are listed.
 */
export const SOLO_MAX_HELD_SHOWN = 40;

/**
 * Solo mode: commands one run (and so one shared link) may hold. A lesson's run is a few dozen
 * clicks; 400 short tokens keep a link under ~4 KB, which every browser and chat app accepts.
 */
export const MAX_SOLO_COMMANDS = 400;
/**
 * Space-time diagram: columns (steps with something on them) drawn at once. One screenful at
 * 1280 px wide; the rest of the run is reached with the scrubber, so a 5,000-message run costs
 * what one screen costs.
 */
export const TIMELINE_VISIBLE_COLUMNS = 48;
/**
 * Longest query string the app reads: a URL is user input. Ours are a few dozen characters,
 * except a shared solo run (MAX_SOLO_COMMANDS short tokens), which stays under this.
 */
export const MAX_URL_SEARCH_LENGTH = 8 * 1024;

/**
 * Explorer: states one search may hold. A state costs ~200 bytes all told (its ints in the pool,
 * its hash-table slot, parent, action, depth and ~6 edges: measured 590 MB resident for 3 million
 * 3-node Paxos states in Node, mostly typed arrays outside the JS heap); the 3-node Paxos target
 * of one million states fits three times over.
 */
export const EXPLORE_MAX_STATES = 3_000_000;
/**
 * Explorer: distinct decided values tracked. Every node's decided values are a bit set packed in
 * one 32-bit integer of the global state (EXPLORE_MAX_NODES × 6 = 30 bits); a lesson uses two or three.
 */
export const EXPLORE_MAX_VALUES = 6;
/** Explorer: nodes. State spaces grow exponentially with nodes; FLP's scene needs five. */
export const EXPLORE_MAX_NODES = 5;
/**
 * Explorer: random walks to the end of a schedule, and how long one may be: a 5-node vote ends
 * in ~100 steps and a 3-node Paxos decision in ~30; a walk still going at 400 is a Paxos duel
 * (never quiet) and more short walks find more than one long one.
 */
export const EXPLORE_WALKS = 2_000;
export const EXPLORE_WALK_MAX_STEPS = 400;
/** Explorer: a walk's crashes and restarts start at a step drawn from 0 to this (see walk). */
export const EXPLORE_WALK_FAULT_WINDOW = 40;
/**
 * Explorer: crashes and restarts one search may allow. Each count, and each node's incarnation,
 * is a 4-bit field of the global state's header; more than a few is no longer a small model.
 */
export const EXPLORE_MAX_FAULTS = 15;
/** Explorer: share of the wall-clock budget given to random walks before the breadth-first search. */
export const EXPLORE_WALK_BUDGET_SHARE = 0.2;
