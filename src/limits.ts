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

/**
 * Linearizability checker. Its search is exponential in the worst case, so it runs on a budget
 * and answers 'unknown' past it rather than hang a test run or the CLI. One step is one move of
 * the search; a per-key partitioned history of a few thousand operations takes tens of
 * thousands. Memory grows by one memo entry per step (about 50 bytes for a partition of a few
 * hundred operations), so the default budget stays under ~100 MB.
 */
export const LIN_DEFAULT_MAX_STEPS = 1_000_000;
/**
 * Weights that make a step cost about the same time whatever the history: a move that hashes a
 * state key costs one more step per this many characters (a whole order book of 500 orders is
 * ~12,000 characters, so ~375 steps), and every move one more per this many operations in the
 * partition (the linearized-set bitset is compared and copied). Measured: 1–2 µs of CPU per
 * step, so the default budget answers within a few seconds at worst.
 */
export const LIN_STATE_CHARS_PER_STEP = 32;
export const LIN_OPS_PER_STEP = 512;
/** How often the search reads an injected clock, in steps: often enough for a ~1 ms overshoot, rarely enough to cost nothing. */
export const LIN_CLOCK_CHECK_EVERY_STEPS = 256;
/**
 * Operations one recorded history may hold: 20× the 10,000-operation histories the benchmark
 * checks in about a second; a run that records more is a bug in the run, not a long run.
 */
export const LIN_MAX_HISTORY_OPERATIONS = 200_000;
/** Operations a counterexample lists (the end of the longest consistent order): a screenful. */
export const LIN_MAX_COUNTEREXAMPLE_OPERATIONS = 20;

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
 * Replicated state machines (order book, register) and their client sessions. The state is
 * replicated to every phone and snapshotted into its storage, so it stays small and bounded.
 */
/** Client ids: a peer id or a simulated "c12"; as long as a display name, never a paragraph. */
export const MAX_CLIENT_ID_LENGTH = MAX_NAME_LENGTH;
/**
 * Client sessions one replica remembers (last seq + answer per client). A room has at most
 * MAX_PEERS_PER_ROOM phones and the simulator a few dozen clients; 256 leaves room for each of
 * 40 phones to reload (and take a fresh client id) six times in one lesson. Beyond it, the
 * session applied least recently is evicted (the same one on every replica, since eviction is
 * part of the replicated state). The table is copied on every applied command (the state is
 * immutable plain JSON): measured ~0.3 ms per command at 1,024 sessions, ~1 µs at 5.
 */
export const MAX_CLIENT_SESSIONS = 256;
/** Order ids ("A", "order-17"): short enough for a projector tile. */
export const MAX_ORDER_ID_LENGTH = 16;
/** Item names: a proposed value's length, so "warehouse: ship" still fits. */
export const MAX_ITEM_LENGTH = MAX_VALUE_LENGTH;
/**
 * Orders one book holds, shipped and cancelled ones included (they are the lesson's evidence).
 * A class of 40 placing a few orders each stays far below; a placement beyond is refused.
 */
export const MAX_ORDERS = 512;
/** Register keys ("x", "color"): short. */
export const MAX_REGISTER_KEY_LENGTH = 16;
/** Register values: short text, like proposed values. */
export const MAX_REGISTER_VALUE_LENGTH = MAX_VALUE_LENGTH;
/** Keys one register store holds; a write of a new key beyond is refused. */
export const MAX_REGISTER_KEYS = 64;

// ---- Replicated logs (Raft, Multi-Paxos) ------------------------------------------------------

/** A command's JSON in one entry: an order-book or register command is a few dozen bytes. */
export const MAX_COMMAND_BYTES = 512;
/**
 * Terms, ballot rounds, log indices and client sequence numbers stay below 2^31: a class that
 * elected a leader every millisecond for a year would not get there, and a peer claiming more
 * is refused at the boundary (it could otherwise pin every node's term at the maximum).
 */
export const MAX_TERM = 2 ** 31 - 1;
export const MAX_LOG_INDEX = 2 ** 31 - 1;
export const MAX_CLIENT_SEQ = 2 ** 31 - 1;
/**
 * Entries in one AppendEntries / accept batch. With MAX_COMMAND_BYTES per command, 24 entries
 * and the envelope stay under MAX_MESSAGE_BYTES; the sender also cuts a batch by its real size
 * (MAX_BATCH_BYTES), so small commands are not sent one at a time.
 */
export const MAX_ENTRIES_PER_MESSAGE = 24;
/** Bytes of entries in one message: MAX_MESSAGE_BYTES less room for the envelope. */
export const MAX_BATCH_BYTES = MAX_MESSAGE_BYTES - 1024;
/** Entries a node's view carries for the projector: the last 20 fit on a node card. */
export const MAX_LOG_WINDOW = 20;
/** Submits a node keeps while it knows no leader to forward them to: a phone's worth of clicks. */
export const MAX_PENDING_SUBMITS = 32;
/** Raft: election timeouts are drawn in [base, 2 × base], as the paper's 150–300 ms. */
export const RAFT_ELECTION_TIMEOUT_FACTOR = 2;
/** Raft: a leader sends heartbeats this many times per election timeout base (the lab's ≤ 10/s). */
export const RAFT_HEARTBEATS_PER_TIMEOUT = 3;
/**
 * Simulated clients of a log algorithm wait this long (virtual ms) for an answer before they
 * resubmit the same (client, seq) at another node: several election timeouts, so a retry is
 * for a lost command, not for a slow one.
 */
export const SIM_CLIENT_RETRY_MS = 1_000;
/** The log-matching audit reads every node's whole log this often (virtual ms) in a run. */
export const SIM_LOG_AUDIT_MS = 250;
/** Simulated clients of a swarm run: enough to contend, few enough to check every history. */
export const SIM_MAX_CLIENTS = 16;
/** Commands per simulated client in one swarm run. */
export const SIM_MAX_COMMANDS_PER_CLIENT = 64;
