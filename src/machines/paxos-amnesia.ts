/**
 * Paxos with amnesiac acceptors — deliberately broken, kept so the checker can catch it.
 *
 * The same synod algorithm as src/machines/paxos.ts, except that a restarted acceptor ignores the
 * promise and accepted proposal it persisted. That breaks Agreement under crash-restart: a value
 * accepted by a bare majority is chosen, one of that majority restarts with no memory of it, and a
 * later proposer gathers a majority of promises none of which reports the chosen value, so it
 * gets a different value chosen. Validity still holds; the lesson is why acceptors persist
 * before they reply.
 */
import { createPaxosSpec } from './paxos.ts';

export const paxosAmnesiaSpec = createPaxosSpec({
  name: 'paxos-amnesia',
  label: 'Paxos with amnesia (broken)',
  summary:
    'Paxos whose acceptors forget their promises when they restart: keeps Validity, but a crash-restart can break Agreement.',
  broken: true,
  acceptorRemembers: false,
});
