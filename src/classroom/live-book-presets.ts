/**
 * An order-book preset (book-presets.ts) run by the teacher's dashboard in a live room: the same
 * steps the simulator runs, carried out through the adversary's controls (partitions broadcast
 * to every member, crashes and restarts, commands submitted at a replica as its phone would),
 * each waiting for the members' reports: role and term or ballot, the log window, the book's
 * rows. Once the steps are done it waits for the outcome the live checker and the reports show.
 */
import type { OrderCommand, OrderStatus } from '../core/order-book.ts';
import type { LogRunJudge } from '../sim/log-checker.ts';
import type { TransportClock } from '../transport/clock.ts';
import type { PeerId } from '../transport/types.ts';
import { BOOK_PRESETS, outcomeReached, runBookPreset, type BookPresetHost, type BookPresetName } from './book-presets.ts';
import type { Classroom } from './classroom.ts';
import { driveLive, refusedRun, rolesOrWhy, type LiveRun, type PresetProgress } from './live-presets.ts';
import type { BookAnnouncement } from './log-protocol.ts';
import { ROLES, rulesInRoom, type PresetWait, type Role } from './presets.ts';

/**
 * Runs `name` on `book` (a book of one of its algorithms among five members). `Judge` is the
 * simulator's LogRunJudge the projector's board loaded (the outcome of a broken variant is the
 * checker's verdict). Returns a handle whose `progress` the dashboard shows.
 */
export function runLiveBookPreset(
  classroom: Classroom,
  book: BookAnnouncement,
  name: BookPresetName,
  Judge: typeof LogRunJudge,
  clock: TransportClock,
  onProgress: (progress: PresetProgress) => void,
): LiveRun {
  const preset = BOOK_PRESETS[name];
  if (!preset.runsOn.includes(book.algorithm)) {
    return refusedRun(`the preset runs ${preset.runsOn.join(' or ')}; this book runs ${book.algorithm}`, onProgress);
  }
  const roles = rolesOrWhy(book.members);
  if (typeof roles === 'string') return refusedRun(roles, onProgress);
  const said: string[] = [];
  const { peerOf } = roles;
  const member = (role: Role) => classroom.bookDashboard?.record(book.id)?.members.get(peerOf(role));
  /**
   * Replicas this run crashed: down from the click on, not from their next held report (a step
   * right after the crash, "await a leader", must not find the crashed leader's last report).
   */
  const crashedHere = new Set<Role>();
  const isUp = (role: Role): boolean =>
    !crashedHere.has(role) && classroom.liveness(peerOf(role)) === 'up' && classroom.heldAt(book.id, peerOf(role))?.crashed !== true;
  const host: BookPresetHost = {
    setRules: (rules) => classroom.setAdversary(rulesInRoom(rules, peerOf)),
    submit: (node, command: OrderCommand) => classroom.control(book.id, peerOf(node), { do: 'submit', command }),
    crash: (node) => {
      crashedHere.add(node);
      classroom.control(book.id, peerOf(node), { do: 'crash' });
    },
    restart: (node) => {
      // Up again once its held report says so (the restarted replica reports at once).
      crashedHere.delete(node);
      classroom.control(book.id, peerOf(node), { do: 'restart' });
    },
    isUp,
    roleOf: (node) => {
      const log = member(node)?.log;
      return log && { role: log.role, epoch: log.epoch };
    },
    // The newest rows of its book, as its last report carried them (a preset's few orders are among them).
    orderStatus: (node, order) => member(node)?.log.rows.find((r) => r.id === order)?.status as OrderStatus | undefined,
    logged: (node, command) =>
      (member(node)?.log.window ?? []).some((e) => e.command.kind === 'command' && JSON.stringify(e.command.command) === JSON.stringify(command)),
    say: (text) => said.push(text),
  };
  const judged = () => {
    const check = classroom.bookDashboard?.check(book.id, Judge);
    const digests = new Set(ROLES.filter(isUp).map((role) => member(role)?.log.stateDigest));
    return { sameState: digests.size === 1 && (check?.divergent.length ?? 0) === 0, violations: check?.violations.map((v) => v.property) ?? [] };
  };
  const outcome: PresetWait = { why: 'the outcome to show on the projector', ready: () => outcomeReached(preset.outcome, host, judged()) };
  const steps = (function* (): Generator<PresetWait, void, void> {
    yield* runBookPreset(preset, host);
    if (!outcome.ready()) yield outcome;
  })();
  return driveLive(steps, classroom, clock, said, onProgress);
}
