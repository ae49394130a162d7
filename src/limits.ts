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
 * Students in one room: the nodes that take part in decisions (student tabs and the teacher's
 * robots), NOT counting the teacher's screens (MAX_TEACHER_SCREENS_PER_ROOM, on top). A full
 * mesh has n(n-1)/2 WebRTC links; 40 is a big class.
 */
export const MAX_PEERS_PER_ROOM = 40;
/** The teacher's screens (role 'host': the projector's dashboard, maybe a laptop's) beside the students. */
export const MAX_TEACHER_SCREENS_PER_ROOM = 2;
/** Everyone a room's signaling may hold at once, and the longest roster a member can be sent. */
export const MAX_ROOM_MEMBERS = MAX_PEERS_PER_ROOM + MAX_TEACHER_SCREENS_PER_ROOM;

/** Rooms one signaling server holds at once: a school's worth, far below PeerServer's 5000 sockets. */
export const MAX_ROOMS = 200;

/**
 * Room codes: 7 characters of a 25-character alphabet = 25^7 ≈ 6.1 billion codes, still easy to
 * read aloud ("K Q 7, R X A 4"). Why 7 and not 5 (9.8 million): a room code is the only thing
 * between a stranger and a class, so guessing a LIVE room must be impractical at the throttled
 * rate (SERVER_LIMITS.newRoomCodesPerAddressPerMinute = 10 unknown codes a minute per address):
 *   one address, all day:  10 × 60 × 24 = 14,400 guesses; against the 1–3 live rooms of a school
 *     server the chance of hitting one is 14,400 × 3 / 6.1e9 ≈ 7 in a million per day;
 *   worst case, 40 addresses (a whole class) guessing all day at a server full of MAX_ROOMS = 200
 *     rooms: 40 × 14,400 × 200 / 6.1e9 ≈ 1.9 % per day, versus certainty within minutes for
 *     5 characters (9.8 million codes at 470 guesses a second, measured before the throttle).
 * Each unknown code also creates a room that counts against roomsPerAddress until it expires.
 */
export const ROOM_CODE_LENGTH = 7;
/** No 0/O, 1/I/L, 5/S, 2/Z, U/V: characters people confuse when reading from a projector. */
export const ROOM_CODE_ALPHABET = 'ABCDEFGHJKMNPQRTWXY346789';

/**
 * Heartbeats over the data channel. PeerJS 'close' never fires after an abrupt tab close, and
 * ICE only reports 'failed' after ~15 s, so liveness is ours. A link gets a heartbeat only when
 * we sent nothing else on it for HEARTBEAT_INTERVAL_MS: any frame is proof of life, so a busy
 * link carries no beats and an idle room sends one small frame per link every ~2 s. Each beat
 * costs a tab ~1 ms of CPU across Chromium's processes (measured: a 10-tab room idles at 0.16
 * cores with beats every second, 0.06 without), so halving the idle rate matters at 40 nodes.
 * The liveness check runs every LIVENESS_CHECK_MS, so a beat goes out at most that late and a
 * silence is noticed at most that late.
 *
 * Detection bounds, from the moment a peer falls silent (a frozen phone): it is suspected after
 * SUSPECT_AFTER_MS − (up to one beat period) ≈ 1.75–4.25 s (3 s on average; 3–4 s before, with
 * beats every second and a 3 s threshold), and down after DOWN_AFTER_MS − (up to one period)
 * ≈ 8.75–11.25 s (10–11 s before). A live peer whose beat is late by up to
 * SUSPECT_AFTER_MS − HEARTBEAT_INTERVAL_MS − LIVENESS_CHECK_MS = 1.75 s (a busy or throttled
 * phone) is not suspected. A closed tab is down at once everywhere (goodbye, the server's push).
 */
export const HEARTBEAT_INTERVAL_MS = 2_000;
export const LIVENESS_CHECK_MS = 250;
export const SUSPECT_AFTER_MS = 4_000;
export const DOWN_AFTER_MS = 11_000;

/**
 * Relayed liveness (src/transport/relay.ts) in rooms of RELAY_MIN_ROOM nodes or more: each node
 * beats RELAY_HUBS hubs (the smallest student ids it sees connected) every RELAY_INTERVAL_MS, and
 * each hub sends every open link, as often, a digest of how long ago it heard each peer; every
 * other idle link gets a slow beat every RELAY_LINK_BEAT_MS, in one direction only: to the end
 * that dials the link (pacing.ts isDialler), which is the end that re-dials a silent one. At 41
 * nodes that is ~255 liveness frames/s in the room instead of ~820 (~350 with slow beats both
 * ways). The detection bounds stay: a frozen node's last sign is
 * its last frame to anyone, so everyone suspects it SUSPECT_AFTER_MS after that and calls it down
 * DOWN_AFTER_MS after; a live node's freshest sign reaches everyone within
 * 2 × (RELAY_INTERVAL_MS + LIVENESS_CHECK_MS) + LIVENESS_CHECK_MS = 2.75 s (its beat to a hub,
 * the hub's digest, both due-checked every LIVENESS_CHECK_MS), leaving 1.25 s for a busy tab's
 * late timer before a false suspicion (1.75 s with direct beats). Two hubs, so one frozen hub
 * costs nothing; hubs are re-chosen as soon as one is suspected. The slow direct beat
 * (RELAY_LINK_BEAT_MS + LIVENESS_CHECK_MS < DOWN_AFTER_MS) means a link silent for DOWN_AFTER_MS
 * is dead (re-dialled) whoever relays. While views of the hubs differ (a room forming) a peer's
 * signs may reach us neither relayed nor directly: when the freshest one is older than
 * PROBE_AFTER_MS (more than a live peer's relayed sign can be, 2.75 s above), we send it a
 * 'probe' and it answers with a heartbeat at once (at most one answer
 * per LIVENESS_CHECK_MS, so probes cannot make a peer flood us). A live peer is then heard
 * within PROBE_AFTER_MS + LIVENESS_CHECK_MS + a round trip, before SUSPECT_AFTER_MS; an idle,
 * formed room sends no probes. Smaller rooms keep direct beats: relaying pays from about 12
 * nodes on.
 */
export const RELAY_MIN_ROOM = 12;
export const RELAY_HUBS = 2;
export const RELAY_INTERVAL_MS = 1_000;
export const RELAY_LINK_BEAT_MS = 8_000;
export const PROBE_AFTER_MS = 2_750;

/** Reconnecting to the signaling server after it restarts: exponential backoff, capped. */
export const SIGNALING_RETRY_BASE_MS = 500;
export const SIGNALING_RETRY_MAX_MS = 10_000;

/**
 * Outbound queue per peer while its channel is not open yet. Beyond this we drop the oldest:
 * every algorithm retransmits what it still needs, so a bounded queue loses nothing that matters.
 */
export const MAX_QUEUED_PER_PEER = 256;

/**
 * A node id wherever one arrives from outside (peer ids from the transport, the node in a ballot,
 * stored ids): peer ids are far shorter; this bounds what a hostile peer can make a node store.
 */
export const MAX_NODE_ID_LENGTH = 64;
/** Largest probeMany batch of the test hook: a benchmark's worth, and a bound on a runaway test. */
export const MAX_PROBES_PER_CALL = 1_000;

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

/**
 * Live rooms: the retransmit timer (voting's candidate and vote, Paxos's phases) grows by this
 * much per member, on top of its 1.5 s base. An undisturbed decision of n members costs each
 * tab ~n message steps, and on a shared 2-core machine a 40-node room (tabs and robots) takes
 * a few seconds to finish one (measured: 2–4 s click to last node); a fixed 1.5 s fired before
 * that, and every node re-sent to everyone still unacknowledged, doubling the load that made it
 * slow. 75 ms × 40 = +3 s (4.5 s in all); a room of 5 waits 1.9 s, near the old 1.5 s.
 */
export const LIVE_RETRANSMIT_MS_PER_MEMBER = 75;

/** Classroom: the message-delay control goes up to 3 s so people can follow each arrow. */
export const MAX_MESSAGE_DELAY_MS = 3_000;

/** Classroom reports: texts in a node's view (phase, "waiting for …", field labels/values). */
export const MAX_REPORT_TEXT_LENGTH = 200;
/** Labelled facts one node view may carry (ballot, promised, my vote…): a screenful. */
export const MAX_VIEW_FIELDS = 16;
/** Entries (traffic lines, proposals, refusals) in one report: one step of a 40-node broadcast. */
export const MAX_FEED_ENTRIES_PER_REPORT = 96;
/**
 * Delta reports (issue 11): a member's tab reports what changed at most once per animation frame.
 * When the tab's frames stop (a phone with its screen off throttles requestAnimationFrame to
 * nothing), a timer flushes instead after this long: the projector still hears within ~0.1 s.
 */
export const REPORT_FRAME_FALLBACK_MS = 100;
/**
 * Delta reports in a big room: besides once per frame, a member's tab reports at most once per
 * this many ms times the room's size (a decision, a stop and a step that sent a value still go
 * at once). In a room of 40 the votes and acks of a majority reach a tab in ~80 different frames,
 * and a report per frame cost each tab as much main thread as the algorithm itself (the view, a
 * serialisation, a data-channel send: measured in Node, 36 ms a decision with a report per
 * message against 17 ms with eight), and the projector 40 × 80 reports to apply. 2.5 ms × 40 =
 * 100 ms: at most 10 reports a second per tab, 400 for the whole room; a room of up to 6 is
 * not slowed (15 ms, under a frame).
 */
export const REPORT_INTERVAL_MS_PER_MEMBER = 2.5;
/**
 * Screens re-render at most once per animation frame; when frames come late (a busy machine
 * starves the compositor: measured here, 100 ms and more with 11 tabs on 2 cores), a timer this
 * long stands in for the frame, so a decision still shows within ~a frame of happening.
 */
export const RENDER_FRAME_FALLBACK_MS = 20;
/**
 * A student's page re-renders at most this often (the first change after a quiet spell still
 * renders at the next frame; a burst is folded into one render at the end of each interval).
 * Every render of a phone is a style, layout and paint pass: at N = 40 a tab hears ~40 votes or
 * accepted messages in under a second, each a new "votes heard k of N" and "waiting for …", and
 * the native work of those frames was as much main thread as all the tab's JavaScript (CPU
 * profile, bench:room). Ten renders a second still reads as live on a phone; the projector keeps
 * rendering every frame (it must show each outcome within a frame of its report).
 */
export const STUDENT_RENDER_INTERVAL_MS = 100;
/**
 * Step facts one report may carry. A step's facts are ~40 bytes at least, so MAX_MESSAGE_BYTES
 * holds ~400; more than that and the report is split anyway. Bounds a hostile report's parse cost.
 */
export const MAX_STEPS_PER_REPORT = 512;
/** Recipients listed in one send group of a step: one broadcast to a full room. */
export const MAX_RECIPIENTS_PER_SEND = MAX_PEERS_PER_ROOM;
/** Send groups of one step: a step sends at most a few distinct messages (Paxos: one per member). */
export const MAX_SEND_GROUPS_PER_STEP = MAX_PEERS_PER_ROOM;
/**
 * Steps a tab keeps for its next report while it cannot send (no dashboard connected, or a burst
 * beyond what one frame carries). Beyond this the oldest are dropped and the report says how many:
 * a dashboard that reconnects gets a full snapshot instead.
 */
export const MAX_PENDING_STEPS = 4_096;
/**
 * Distinct (message kind, value) pairs a node reports having sent in one incarnation: the
 * evidence behind decisions (votes, accepts). A decision has a handful of values; more is junk.
 */
export const MAX_EVIDENCE_PER_REPORT = 32;
/** Per-sender message sequence numbers and incarnation ids: exact integers, far beyond a lesson. */
export const MAX_MESSAGE_SEQ = 2 ** 31 - 1;
/**
 * A member's decision with no quorum of accepted reports behind it is shown as a claim, not as a
 * decision, once this long has passed: the acceptors' reports travel on other links than the
 * decider's and may arrive a few frames later.
 */
export const DECISION_EVIDENCE_GRACE_MS = 2_000;

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
/** Solo log mode: the newest client answers listed (one screen beside the cards); the whole history stays in the cluster. */
export const SOLO_LOG_ANSWERS_SHOWN = 12;
/**
 * Solo log mode's export as a schedule file: virtual time after the user's last step for what was
 * in flight to settle (several election timeouts and client retries), so the file's run ends
 * where the user's did.
 */
export const SOLO_EXPORT_SETTLE_MS = 3_000;
/** Solo mode's `run` command: virtual ms one Run may cover (the page's Run buttons use 100 and 1000). */
export const SOLO_MAX_RUN_MS = 60_000;

/** Schedule files (tests/scenarios, solo's export, `npm run sim -- --schedule`): longest run, 10 virtual minutes, far past any situation we stage. */
export const SCHEDULE_MAX_RUN_MS = 600_000;
/** Schedule files: steps in one file. The longest staged situation has a few dozen; a solo export is at most MAX_SOLO_COMMANDS. */
export const SCHEDULE_MAX_STEPS = 2_000;
/** Schedule files: nodes. The same bound as solo mode's (the projector's node cards), so every solo run exports to a file that loads. */
export const SCHEDULE_MAX_NODES = SOLO_MAX_NODES;
/** Schedule files: entries of one node's `initial` log (the paper's Figure 7 shapes need a dozen). */
export const SCHEDULE_MAX_INITIAL_ENTRIES = 200;
/** Schedule files: the description, a paragraph for whoever reads the file. */
export const SCHEDULE_MAX_DESCRIPTION_LENGTH = 1_000;

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
 * Robots (src/robots): the teacher's headless nodes start this far apart, so 35 of them join
 * over ~2 s instead of all at once: each join makes every member dial the newcomer, and a burst
 * of hundreds of simultaneous handshakes is what makes a big room's mesh slow (see DIAL_*).
 */
export const ROBOT_START_SPACING_MS = 50;

/**
 * Mesh formation (src/transport/pacing.ts): dials one node keeps negotiating at once. Each
 * dial is an offer, an answer and a few ICE candidates through the signaling server, then a
 * DTLS and SCTP handshake (~1 s for a robot, mostly waiting on DTLS's first retransmit). With
 * the balanced dialler rule a node of a 40-node room dials ~20 peers: 16 at a time is 2 rounds
 * and caps the room at ~640 handshakes in flight instead of ~780. Measured on this (heavily
 * shared) machine, 35 robots: 8 in flight with an 8 s dial timeout never meshed (handshakes
 * slower than the timeout were abandoned and re-dialled over and over); 16 with 15 s meshed.
 */
export const MAX_PENDING_DIALS = 16;
/**
 * The fewest dials a node keeps negotiating once its dials stall (pacing.ts nextDialWindow): on a
 * machine too busy for its handshakes, each dial given up (no answer, not connecting, timed out)
 * halves the node's window of dials in flight down to this, and each dial that opens widens it
 * by one again, up to MAX_PENDING_DIALS. With 16 in flight at every node a 40-node room on a
 * busy machine (load 40-50 here) kept ~650 handshakes in flight, each slower than the timeouts:
 * 908 robot dials timed out and 964 went unanswered, each then started over, and the mesh never
 * formed. Above one so that a single slow peer does not hold up all of a node's other dials.
 */
export const MIN_PENDING_DIALS = 2;
/**
 * A dial that has not opened after this long is abandoned and re-dialled (with backoff). A
 * healthy handshake takes 0.1–1 s, but many seconds on a loaded machine: abandoning those
 * only restarts them from scratch. The backstop only: a dial whose connection failed is
 * re-dialled at once, one without an answer or not connecting sooner (DIAL_ANSWER_TIMEOUT_MS,
 * DIAL_CONNECT_TIMEOUT_MS).
 */
export const DIAL_TIMEOUT_MS = 15_000;
/** The longest a re-dial may negotiate: DIAL_TIMEOUT_MS doubles on each retry up to this (pacing.ts dialTimeoutMs). */
export const DIAL_TIMEOUT_MAX_MS = 60_000;
/**
 * A dial with no answer this long after its offer is given up sooner than DIAL_TIMEOUT_MS
 * (doubled per retry, pacing.ts negotiationVerdict): an answer is one trip through the signaling
 * server and the peer's making a certificate and an answer. Measured with 35 robots forming a
 * room on this machine at load ~20 (shared with other work): answers came after 3.9 s median,
 * 5.7 s p90, 7.7 s p99 (max 7.8 s), most of it the robots' busy event loops; 5 s gave up on 17
 * of 618 dials that would have been answered.
 */
export const DIAL_ANSWER_TIMEOUT_MS = 8_000;
/**
 * Answered, but the channel not open this long after the answer (ICE, DTLS and SCTP on one LAN;
 * DTLS retransmits after 1 s, then 2 s): given up (doubled per retry). Same run: the channel
 * opened 0.3 s median, 1.8 s p90, 2.4 s p99 (max 3.7 s) after the answer.
 */
export const DIAL_CONNECT_TIMEOUT_MS = 5_000;
export const LINK_MAINTENANCE_MS = 1_000;

/**
 * Robots one Node process runs (the CLI runs larger fleets as several processes). Each process
 * has its own native threads (libjuice's poll thread over every connection's UDP socket,
 * usrsctp's 10 ms timer, libdatachannel's workers) and its own event loop, so fewer processes
 * idle cheaper, while one process's JavaScript runs on one core. Measured (bench:idle, 35 idle
 * robots, CPU-seconds from /proc over 10 s, medians of 3 at load 10–13 on 2 shared cores): 12 a
 * process (3 processes) 0.68 cores, mesh 21.0 s; 18 (2) 0.53 cores, mesh 19.4 s; 35 (1) 0.57
 * cores, mesh 18.3 s (one poll thread over ~1,370 sockets costs what two over ~690 do). 18: the
 * cheapest idle, and a 35-robot fleet's decisions still run on both cores. (An earlier stall of
 * one process at ~1,000 sockets is gone: 35 in one process meshed in 3 of 3 runs.) Measured again
 * once beats ticked together and robots registered fewer native callbacks (bench:room N=40, load
 * 2-4, CP_BENCH_ROBOTS_PER_PROCESS): 35 in one process idled at 0.36-0.41 cores in all against
 * 0.42-0.46 with 18, decisions no slower; kept at 18 because formation's native calls then share
 * one JavaScript thread, which more cores than these 2 would not help (not measured there).
 */
export const ROBOTS_PER_PROCESS = 18;
/**
 * UDP ports each robot's connections share through libjuice's ICE UDP mux (src/robots/udp-mux.ts;
 * the default; CP_BENCH_MUX=off only for benchmarks comparing): one socket and one thread per
 * port, instead of a socket per connection under one poll thread a process that rebuilds and
 * polls its whole socket list (~700 at 18 robots) on each wake-up. A connection towards a peer
 * takes a port no other connection of the robot towards that peer uses (the mux tells
 * connections apart by remote address first, libjuice conn_mux.c lookup_agent). The dials that
 * failed with the mux ("unknown CA") were a libdatachannel race, fixed on our side by
 * answer-gate.ts. Measured (bench:room, 40 nodes = 5 tabs + 35 robots, 2 runs each, back to back
 * at load 4.5-10 from other work): robots' dials failed 0 in every run (was 4-15 a run with the
 * mux before the gate); idle robots 0.41 / 0.46 cores with 2 ports against 0.80 / 0.79 with a
 * socket per connection (juice poll 0.42-0.44 -> juice mux 0.07-0.08), room total 0.58 / 0.66
 * against 1.01 / 0.98; 1 port per robot 0.45 / 0.40 (0.68 / 0.60 in total): no difference
 * outside the noise. Two ports keep a re-dial while the old connection is still held on the
 * mux; a third such connection gets a socket of its own.
 */
export const ROBOT_UDP_MUX_PORTS = 2;
/**
 * A closed connection still counts against its port towards its peer this long: libdatachannel
 * tears its ICE agent down on another thread after close, and until then the agent keeps the
 * peer's address on the port. Costs nothing but a re-dial to the same peer landing on the other
 * port (or a socket of its own) within this time.
 */
export const ROBOT_UDP_MUX_HOLD_MS = 10_000;

/**
 * The signaling server's own limits (signaling/): room lifetime and per-client-address abuse
 * limits. Every value is configurable (env, see README "Configuration"); these are the defaults.
 * "Address" is the TCP peer address the server sees; on a classroom Wi-Fi that is one device.
 * Addresses in trustedAddresses (default: this machine's loopback, where the teacher, the tests
 * and benchmarks open their tabs) are exempt from the per-address limits, and so are the
 * teacher's robots (admitted under the teacher's key): one laptop can open 40 test tabs from
 * 127.0.0.1. Room capacity (MAX_PEERS_PER_ROOM) applies to everyone.
 */
export const SERVER_LIMITS = {
  /**
   * A room whose teacher claimed it lives until the teacher closes it or this long after it was
   * last used (its last member left): every tab crashing is a lesson, not an ending; a day is
   * one school day plus margin, and then what the server keeps of it is deleted.
   */
  roomRetentionMs: 24 * 60 * 60 * 1000,
  /**
   * A room no teacher ever claimed (a mistyped code, students trying things out) lives this long
   * after its last member left: long enough to survive a reload or a server restart, short
   * enough that a typo does not hold a room (and a place in roomsPerAddress) for a day.
   */
  unclaimedRoomRetentionMs: 10 * 60 * 1000,
  /** How often expired rooms are deleted. A minute is far finer than the retention. */
  retentionSweepMs: 60 * 1000,
  /**
   * Node ids a room remembers over its lifetime (each owned by its first token). A tab mints a
   * new id only when duplicated or when its storage is gone, so ten per place is plenty; bounds
   * the store at MAX_ROOMS × this many rows.
   */
  nodeIdsPerRoom: 10 * MAX_ROOM_MEMBERS,
  /** Rooms one address may have created and still alive: a teacher opens one or two. */
  roomsPerAddress: 5,
  /**
   * Unknown room codes one address may try per minute (each creates a room): a student mistyping
   * a few times never meets it; guessing is throttled to it (see ROOM_CODE_LENGTH for the odds).
   */
  newRoomCodesPerAddressPerMinute: 10,
  /**
   * Open signaling sockets (PeerJS + roster) per address. A tab holds 2; a phone with a few tabs
   * and a reload in flight holds under 10. Stops one client from taking PeerServer's 5000 sockets.
   */
  socketsPerAddress: 16,
  /**
   * Socket openings (PeerJS registrations + roster subscriptions) per address per minute. A join
   * costs 2, a reload 2, a reconnect backs off to one try per 10 s: a real tab stays far below.
   */
  joinsPerAddressPerMinute: 60,
  /**
   * Tabs of one room connected at once from one address: a student's phone and laptop and a
   * reload in flight. One client cannot fill a room of MAX_PEERS_PER_ROOM.
   */
  tabsPerAddressPerRoom: 3,
  /** New node ids one address may create in one room: a few tabs and some duplicates. */
  newNodesPerAddressPerRoom: 12,
  /** Wrong teacher keys one address may present per minute (a key has ≥ 95 random bits anyway). */
  wrongTeacherKeysPerAddressPerMinute: 10,
  /** The default trusted addresses: this machine's loopback. */
  trustedAddresses: ['127.0.0.1', '::1'] as readonly string[],
} as const;

/** Robots one admission call may register: a room's worth. */
export const MAX_ROBOTS_PER_REQUEST = MAX_PEERS_PER_ROOM;
/** The body of a robot admission call: 40 × {node, token} is under 3 kB. */
export const MAX_ROBOT_REQUEST_BYTES = 8 * 1024;
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
/**
 * Paxos rounds: the largest round accepted from the wire or from storage. Honest proposers add
 * one per ballot, a few per second at most, so a lesson never comes near 2^48; staying far below
 * 2^53 keeps every sum we form (a round plus MAX_ROUND_STEP, plus one) an exact integer.
 */
export const MAX_ROUND = 2 ** 48;
/**
 * Plausibility of a round: a node takes a round into account only if it is at most this far
 * above the highest round chosen by the *other* members (its own ballots included). A liar
 * therefore cannot jump to MAX_ROUND − 1: each of its steps needs an honest ballot after it, so
 * exhausting the space takes 2^28 honest ballots, years of duelling, not one message.
 */
export const MAX_ROUND_STEP = 2 ** 20;
/**
 * A round this far above the others' is refused and its chooser flagged; between MAX_ROUND_STEP
 * and this it is only dropped, like a lost message. The gap is wide on purpose: an honest
 * proposer that beat a liar's jump looks, to a peer that never saw the jump, like a jump of its
 * own, and only a liar pushing it a thousand times over with that peer hearing nothing else in
 * between could carry it this far. 2^30 is still far below MAX_ROUND, so a jump to it is caught.
 */
export const MAX_ROUND_FLAG_STEP = 2 ** 30;
/**
 * Lying members the algorithms defend against: a node believes a claim it cannot check itself
 * (Paxos `chosen`) only from this many + 1 distinct members, so one liar alone convinces nobody.
 */
export const LIARS_TOLERATED = 1;
/**
 * Text assets smaller than this are not precompressed (scripts/vite-delivery.ts): a response
 * under ~1 KB fits one TCP segment either way, so compressing it saves no round trip.
 */
export const PRECOMPRESS_MIN_BYTES = 1024;

/** The pages App.svelte loads as separate chunks, each with its own JS budget. */
export type BudgetedPage = 'landing' | 'student' | 'host' | 'solo';

/**
 * Gzip bytes of JS a page needs before its first paint (scripts/check-budgets.ts, run by
 * `npm test`). A student's phone on a crowded classroom Wi-Fi (~1 Mbit/s each when 40 join at
 * once) gets the student page in well under a second at 75 kB; the landing page, the first
 * thing anyone sees, is 30 kB. The dashboard (one laptop, usually wired or close to the access
 * point) and solo mode (the simulator and every machine) are bounded near what they need today
 * so a regression shows.
 */
export const PAGE_JS_BUDGET_GZIP_BYTES: Readonly<Record<BudgetedPage, number>> = {
  landing: 30_000,
  student: 75_000,
  // The dashboard loads after the teacher's page paints (the room code and QR come first), so
  // its first paint is the session and PeerJS: 52.7 kB measured.
  host: 60_000,
  // 64.4 kB before issue 8's and 10's solo work (measured 73.0 kB after): the space-time diagram
  // became one component with the dashboard's (+1.3 kB, its own chunk), the "Show the failure"
  // presets menu (+1.7 kB, names and titles; their steps load when staged), the explorer's
  // inspection of a run and its schedule steps (+2 kB; its panel and search are lazy), the shared
  // commit judge, and chunk splits around the lazily loaded log algorithms (+1.5 kB). 76.0 kB
  // after issue 7's log compaction (snapshots in the simulator every solo run loads) and issue 8's
  // branching and export hooks, with the counterexample's run prefix moved into the explorer's
  // lazy chunk (-0.6 kB): bounded at 78 kB, near what it needs, so the next regression shows.
  solo: 78_000,
};

// ---- Replicated logs (Raft, Multi-Paxos) ------------------------------------------------------

/** A command's JSON in one entry: an order-book or register command is a few dozen bytes. */
export const MAX_COMMAND_BYTES = 512;
/**
 * Terms, ballot rounds, log indices and client sequence numbers stay below 2^31: a class that
 * elected a leader every millisecond for a year would not get there, and a peer claiming more
 * is refused at the boundary (it could otherwise pin every node's term at the maximum).
 */
export const MAX_TERM = 2 ** 31 - 1;
/**
 * Plausibility of a Raft term in the live room, the write-once Paxos rule (MAX_ROUND_STEP) for
 * terms: a replica takes in a term at most this far above the highest term any *other* member
 * chose (a candidate's RequestVote, a leader's AppendEntries; its own elections) as far as it
 * knows. Honest terms grow by one per election, so only a node alone through 65,536 elections
 * (18 hours of one-second timeouts) gets further ahead; a node far behind (reopened after the
 * class moved on) takes the others' terms in as long as it is not that far behind. A liar's
 * jump needs an honest election after each step, so pinning every term at MAX_TERM takes 2^15
 * elections, hours of them, not one message.
 */
export const RAFT_TERM_STEP = 2 ** 16;
/**
 * A term this far above the others' is refused and its sender flagged; between RAFT_TERM_STEP
 * and this it is only dropped, like a lost message (never flag what might be honest). Far below
 * MAX_TERM, so a jump to the top is caught.
 */
export const RAFT_TERM_FLAG_STEP = 2 ** 20;
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
/**
 * Log compaction (Raft §7, and the same for Multi-Paxos): a node snapshots its applied state
 * machine (with the client sessions) once this many entries were applied since its last
 * snapshot, and drops the log prefix the snapshot covers. Live: a phone's storage then holds
 * at most ~this many entries (~150 bytes each) plus one snapshot (the order book is bounded by
 * MAX_ORDERS and MAX_CLIENT_SESSIONS: ~100 kB at most), far below localStorage's ~5 MB per
 * origin even for five tabs of one laptop, however long the class runs. Snapshots are taken at
 * multiples of the interval, so every replica's state at those indexes can be compared.
 */
export const LOG_SNAPSHOT_EVERY = 500;
/**
 * Committed entries a live replica keeps in memory (for its reports to the dashboard and for
 * learners' catch-up). At each snapshot it drops those the snapshot covers once they are
 * reported, so it normally holds at most LOG_SNAPSHOT_EVERY plus one report's worth; a replica
 * whose reports fell this far behind (a restarted one catching up on a long log faster than it
 * reports) drops covered entries even unreported and starts the dashboard's view of it anew
 * after its snapshot. ~150 bytes each: at most ~150 kB per phone, however long the class runs.
 */
export const LIVE_MAX_HELD_COMMITS = 2 * LOG_SNAPSHOT_EVERY;
/** The simulator compacts far more often, so every swarm run exercises snapshots and catch-up by snapshot. */
export const SIM_SNAPSHOT_EVERY = 8;
/**
 * A snapshot's JSON text: the bounded order book and session table are ~100 kB at most; a
 * snapshot claiming more (from storage or a peer) is refused rather than held.
 */
export const MAX_SNAPSHOT_BYTES = 1024 * 1024;
/**
 * Characters (UTF-16 code units) of snapshot text in one InstallSnapshot / snapshot chunk.
 * Re-encoded as a JSON string inside the message and sent as UTF-8, a code unit takes at most
 * 3 bytes (a non-ASCII character; a quote or backslash takes 2; the text is JSON already, so it
 * holds no control characters, and chunks never split a surrogate pair), so a chunk's data is
 * at most 12 kB and the frame stays under MAX_MESSAGE_BYTES with its envelope.
 */
export const SNAPSHOT_CHUNK_CHARS = 4 * 1024;
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
/** Worker threads one swarm may start: a few per core is already more than helps. */
export const SIM_MAX_WORKERS = 16;
/** Worker threads a log swarm uses when not told: the machine's cores, at most 2 (CI's budget is 2 cores). */
export const SIM_DEFAULT_WORKERS = 2;
/** Wall-clock budget of one history's linearizability check in a swarm or `npm run sim`; past it the answer is 'unknown'. */
export const SIM_LIN_BUDGET_MS = 2_000;

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
/**
 * Explorer: crashes the adversary may cause when nobody says (`--max-crashes`, solo's questions).
 * FLP's theorem needs only one, and each more multiplies the states to explore.
 */
export const EXPLORE_DEFAULT_MAX_CRASHES = 1;
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

// ---- The live order book (replicated log in the classroom) -------------------------------------

/**
 * Commands one phone may submit per minute, and in a burst: a student pressing Place as fast as
 * a thumb goes (~4/s for a few seconds) is served; a script flooding the log is not. Each
 * command becomes an entry every replica stores, so this also bounds how fast a phone can fill
 * the others' storage. Beyond it the phone says "slow down" and submits nothing.
 */
export const LIVE_COMMANDS_PER_MINUTE = 120;
export const LIVE_COMMAND_BURST = 10;
/** Presses a phone queues while its one outstanding command waits for its answer. */
export const LIVE_MAX_QUEUED_COMMANDS = 8;
/**
 * A phone resubmits its outstanding (client, seq) when no answer came within this long (plus
 * the dashboard's delay per hop): longer than a leader failover (an election timeout or two),
 * so a retry is for a command lost with a crashed leader, not for a slow one. The client
 * sessions answer a retried command with its first answer.
 */
export const LIVE_COMMAND_RETRY_MS = 4_000;
/**
 * Live election timeout base (Raft) / follower patience (Multi-Paxos), before the dashboard's
 * delay is added: a closed leader tab is replaced within 1.5–3 s, slow enough to watch.
 */
export const LIVE_ELECTION_TIMEOUT_MS = 1_500;
/**
 * Bytes of committed entries one report carries to the dashboard (its live checker reads them).
 * With the window and the book below, a report stays under MAX_MESSAGE_BYTES; a node that
 * committed more (a restarted replica catching up on 1,000 entries) sends the rest in the next
 * frames' reports.
 */
export const LIVE_REPORT_COMMIT_BYTES = 6 * 1024;
/**
 * Largest stored log (JSON bytes) a restarted book replica carries in its full report so the
 * dashboard can replay it from its start. A full report also carries the window, the book's rows
 * and a chunk of commits (LIVE_REPORT_COMMIT_BYTES); 1.5 kB more (about a dozen small entries)
 * keeps it under MAX_MESSAGE_BYTES. A larger stored log is left out and that incarnation's replay
 * says so (a first start has no stored log: always replayable).
 */
export const LIVE_REPLAY_START_MAX_BYTES = 1536;
/**
 * A phone's list of classmates folds behind a one-line summary beyond this many (a 30-peer list
 * is several screens on a 360 px phone); the projector's list never folds.
 */
export const PEER_LIST_FOLD_AT = 8;
/**
 * Names a termination sentence on the projector lists ("waiting for A, B, C, D and 29 more"):
 * a room of 33 listed in full filled four lines of the outcome bar at 1280×720 and pushed the
 * picture below the screen; the node cards and the quorum meter still list everyone.
 */
export const TERMINATION_NAMES_SHOWN = 4;
/**
 * The projector's lobby tiles become one short line each (the name and a status icon; the id in
 * its tooltip) beyond this many participants: at 1280×720 the two-line tiles held 10 of a class
 * of 33 on the screen, the one-line ones hold all 40.
 */
export const LOBBY_DENSE_AT = 12;
/**
 * A live book of more than this many replicas draws its followers as small tiles (name, role,
 * term, applied, the log window as marks) and each leader's tile whole: at 1280×720 whole tiles
 * showed 5 of 33 replicas on the screen; the small ones show them all. Twelve, as the write-once
 * picture's ring (RING_MEMBERS), so one room size switches both.
 */
export const BOOK_COMPACT_AT = 12;
/** Log entries per node the projector shows (and a report carries): the newest ones. */
export const LIVE_REPORT_WINDOW = 10;
/** Orders (or register keys) of a node's state a report carries for its projector tile: the newest. */
export const LIVE_REPORT_STATE_ROWS = 12;
/** Answers a phone lists under its buttons: its own last commands. */
export const LIVE_MAX_ANSWERS_SHOWN = 8;
/**
 * Committed entries (or applies) one dashboard report or one catch-up chunk may list. Each one is
 * at least ~40 bytes of JSON, so a message within MAX_MESSAGE_BYTES never holds more: the parsers
 * refuse a longer list before reading it, and the byte budgets (LIVE_REPORT_COMMIT_BYTES,
 * LIVE_CATCHUP_BYTES) are what bound a real message.
 */
export const MAX_COMMITS_PER_MESSAGE = Math.floor(MAX_MESSAGE_BYTES / 40);
/**
 * Books (live replicated logs) a tab remembers and a dashboard re-announces: the newest (the only
 * one that runs) and two before it. An older one is forgotten and its stored log removed, since
 * every book's log shares one origin's storage on a phone.
 */
export const LIVE_BOOK_HISTORY = 3;
/** Live decisions a tab keeps running: the current one and two before it, so laggards still learn their outcome. */
export const LIVE_RUNNING_DECISIONS = 3;
/**
 * A student's decision counts as stuck after this long undecided even when no rule explains why:
 * long enough for a slowed-down Paxos round (4 delays of up to 3 s plus a backoff), short enough
 * that a class notices before it gets bored.
 */
export const STUCK_AFTER_MS = 30_000;
/** Longest query string the host page reads a decision preset from: ours are a few dozen characters; a URL is user input. */
export const MAX_PRESET_SEARCH_LENGTH = 512;
/**
 * Facts (role changes and committed entries, over every member and incarnation) the projector's
 * live log checker keeps and re-checks: five phones with full logs reloading a few times each.
 * A check of 40,000 facts takes a few ms, once per change of the book; beyond it the
 * checker says it stopped rather than slow the projector down.
 */
export const LIVE_CHECKER_MAX_FACTS = 40_000;
/**
 * A late joiner (a learner: not a voting member) asks a member for committed entries this often
 * while it is caught up; while behind, it asks again as soon as a chunk arrives. A chunk is at
 * most LIVE_CATCHUP_BYTES of entries, so a 2,000-entry log reaches a new phone in ~30 messages,
 * each well under MAX_MESSAGE_BYTES.
 */
export const LIVE_LEARNER_POLL_MS = 1_000;
export const LIVE_CATCHUP_BYTES = 12 * 1024;
/** A member answers one learner's catch-up request at most this often (a learner cannot make it busy). */
export const LIVE_CATCHUP_MIN_INTERVAL_MS = 50;
/**
 * Messages the projector's network picture follows at once (in flight, held, or just landed): a
 * broadcast round of a 12-member class is 132; beyond this the oldest is forgotten (a message
 * dropped on the way never lands, and must not pin memory).
 */
export const MAX_TRACKED_FLIGHTS = 256;
/**
 * Messages the projector draws at once, the newest: a broadcast round of an 8-member class (56)
 * fits, and a flood (a hostile member reporting hundreds of sends a second) costs the dashboard
 * no more than this per frame. The message feed still lists every one in words.
 */
export const MAX_DRAWN_FLIGHTS = 64;
/** Landings the picture remembers after the fact: enough for one round of a full room to land at once. */
export const MAX_RECENT_LANDINGS = 128;
/** A landed message stays marked at its receiver this long: long enough for a class to see it land. */
export const LANDED_SHOWN_MS = 1_200;
/**
 * The shortest a drawn flight takes, whatever the dialled delay: at 0 ms a message lands within a
 * frame or two, and a dot that jumps is not seen travelling.
 */
export const MIN_FLIGHT_MS = 300;
// ---- the network adversary (issue 8) ------------------------------------------------------
/**
 * Adversary: distinct messages one node holds for the teacher. A 5-node vote holds ~15 distinct
 * messages per receiver (retransmissions merge into their entry), Paxos a few per ballot; 64
 * leaves room for a long duel while one `held` report (64 short entries) stays a few kB. Past it
 * a new distinct message is lost, as on a full router queue, and counted.
 */
export const MAX_HELD_PER_NODE = 64;
/** Adversary: extra delay the teacher may give one node's links: the message-delay slider's own bound. */
export const MAX_NODE_SLOWNESS_MS = 3_000;
/**
 * Adversary: how long a phone keeps holding messages (and its clock frozen) with no teacher's
 * screen connected. Long enough for a reload of the dashboard (~1–2 s) to pick the hold up
 * again; short enough that a class is never frozen by a closed laptop.
 */
export const TEACHER_GONE_RELEASE_MS = 5_000;
/**
 * Adversary: the longest wait one step of a demonstration preset makes for its condition, live
 * (the tab's ms) and in solo mode's simulator (virtual ms): far beyond any round trip or timeout.
 */
export const PRESET_STEP_TIMEOUT_MS = 30_000;
/**
 * Solo presets: virtual time the simulator watches a preset's outcome after its last step ("never
 * decides", "two values", "everyone decides"): fifty retransmission periods of the simulator's
 * default timing and sixteen Paxos phase timeouts, far past any round that could still end it.
 * A saved "never decides" counterexample runs on as long after its last step, everything
 * released, so its replay shows the quiet state stays undecided (src/explore/schedule-file.ts).
 */
export const PRESET_OUTCOME_WATCH_MS = 5_000;
/**
 * A downloaded export's object URL is revoked this long after the click: long enough for any
 * browser to have started saving it, short enough that a page exporting often frees the memory.
 */
export const EXPORT_URL_REVOKE_AFTER_MS = 60_000;
/**
 * The forced Paxos duel preset's rounds, each one proposer's accept refused because the other
 * prepared higher: four show the pattern repeating (each side pre-empted twice) and keep the
 * preset's steps (and its live run, one held message at a time) under a minute.
 */
export const PRESET_DUEL_ROUNDS = 4;
/** The adversary panel's slowness field steps by this: a quarter second is a delay a class can see. */
export const NODE_SLOWNESS_STEP_MS = 250;
// --- Live space-time diagram and replayable traces (issue 8, items 5 and 6) ---

/**
 * Largest timing value (ms) a report may claim for its node's machine: the live timings are a
 * few seconds plus 4× the message delay (MAX_MESSAGE_DELAY_MS); a minute is far beyond any.
 */
export const MAX_REPORTED_TIMING_MS = 60_000;
/**
 * Steps of one node the live diagram holds back while they wait for the report that carries the
 * send they received (the sender reports a frame later than the receiver, at most a few steps).
 * Beyond this the oldest is drawn without its sender's line: a sender whose report was lost must
 * not stall the receiver's lane for good.
 */
export const MAX_PARKED_STEPS_PER_NODE = 256;
/**
 * How long (dashboard ms) such a step may wait for its sender's report: a sender reports within
 * a frame or REPORT_FRAME_FALLBACK_MS; a sender whose tab closed before its next frame never
 * will, and its receivers' lanes go on after this, the unreported message drawn without a line.
 */
export const MAX_PARK_MS = 2_000;
/**
 * Steps the live diagram keeps per decision: a 30-node decision of 5,000 messages takes ~10,000
 * (a send step and a receive step per message, many broadcasts). Beyond this it stops growing and
 * says so; the dashboard's own record (tallies, properties) goes on.
 */
export const MAX_TIMELINE_STEPS = 100_000;
/**
 * Largest trace file the import accepts, bytes: an exported trace holds at most MAX_TRACE_ENTRIES
 * reports, but a real lesson's decision is a few hundred kB; 8 MB parses in well under a second.
 */
export const MAX_TRACE_FILE_BYTES = 8 * 1024 * 1024;
/**
 * Reports the dashboard keeps per decision for its export, and one imported trace may hold:
 * about an hour of a 25-node class at a report per second each.
 */
export const MAX_TRACE_ENTRIES = 20_000;
/**
 * Time a scrub may spend replaying machines in one animation frame (ms): half a 60 Hz frame, so
 * the projector stays smooth while a first scrub far into a long run catches up over frames.
 */
export const REPLAY_BUDGET_MS_PER_FRAME = 8;
/**
 * Solo mode's explorer (a Web Worker): wall-clock budget and states of one question. The FLP
 * scene's valence takes well under a second; past 1.5 s the page says "unknown within budget"
 * rather than keep the user waiting, and 400,000 states (~80 MB) keep a phone's tab alive.
 */
export const SOLO_EXPLORE_BUDGET_MS = 1_500;
export const SOLO_EXPLORE_MAX_STATES = 400_000;
/** Solo mode's counterexample search may take longer: the user pressed a button and waits for it. */
export const SOLO_COUNTEREXAMPLE_BUDGET_MS = 8_000;
/** Longest schedule, in steps from the current state, the solo explorer follows (the FLP scene needs ~40). */
export const SOLO_EXPLORE_MAX_DEPTH = 200;
/**
 * A timer's name, as the explorer, a solo link (`t:n1:<name>`) and a schedule file's `timer` step
 * spell it: XState's delayed-event id `xstate.after.<delay>.<machine>.<state path>`. The longest
 * machine state path today is ~40 characters, so 200 leaves room for deeper machines while a
 * pasted link or file cannot carry a paragraph in this field. One limit, because the same names
 * travel both ways: an explorer counterexample becomes a schedule file (explore/schedule-file.ts)
 * and steps of a solo run (followStep, then its link), so a name one accepts the other must too.
 */
export const MAX_TIMER_NAME_LENGTH = 200;
/** A lesson chapter's id on the wire (`?lessons=1&chapter=…`): the longest today is 12 characters. */
export const LESSON_CHAPTER_ID_MAX = 32;

/**
 * A schedule file's exact message payload (a step's `"message"`, as saved from a solo run): the
 * largest algorithm message of five nodes is a few hundred characters; this bounds what a file
 * can make the runner compare, with room to spare.
 */
export const SCHEDULE_MESSAGE_MAX_CHARS = 4_000;
