/**
 * A robot's offer keeps its local ICE candidates until its answer is applied (src/robots/
 * answer-gate.ts, node-webrtc.ts RobotPeerConnection): the answerer cannot check us before we
 * hold the whole answer, so our DTLS never meets its certificate without the fingerprint.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AnswerGate } from '../../../src/robots/answer-gate.ts';
import '../../../src/robots/node-webrtc.ts';
import { addRobotVeth, isIsolated } from '../../bench/isolate.ts';

describe('robots: an offer’s candidates wait for its answer (AnswerGate)', () => {
  it('holds while awaiting the answer, then passes what it held in order, and holds nothing again', () => {
    const passed: string[] = [];
    const gate = new AnswerGate<string>((c) => passed.push(c));
    gate.candidate('a', true);
    gate.candidate('b', true);
    expect(passed).toEqual([]);
    expect(gate.holding).toBe(2);
    gate.answered();
    expect(passed).toEqual(['a', 'b']);
    gate.candidate('c', true); // opened once: never held again
    expect(passed).toEqual(['a', 'b', 'c']);
    expect(gate.holding).toBe(0);
  });

  it('passes at once what no answer is awaited for (an answerer’s candidates)', () => {
    const passed: string[] = [];
    const gate = new AnswerGate<string>((c) => passed.push(c));
    gate.candidate('a', false);
    expect(passed).toEqual(['a']);
  });

  it('drops what it held when the connection closes', () => {
    const passed: string[] = [];
    const gate = new AnswerGate<string>((c) => passed.push(c));
    gate.candidate('a', true);
    gate.closed();
    gate.answered();
    expect(passed).toEqual([]);
    expect(gate.holding).toBe(0);
  });
});

type Pc = RTCPeerConnection;
const newConnection = (): Pc => new (globalThis.RTCPeerConnection as unknown as new (c?: RTCConfiguration) => Pc)({ iceServers: [] });

/** Polled: a robot's connection fires no 'icegatheringstatechange' (lean-native.ts), but its state is current. */
async function gathered(pc: Pc): Promise<void> {
  while (pc.iceGatheringState !== 'complete') await new Promise((resolve) => setTimeout(resolve, 10));
}

const candidateLines = (sdp: string | undefined): number => (sdp ?? '').split('\n').filter((l) => l.startsWith('a=candidate')).length;

describe('robots: RobotPeerConnection', () => {
  // No traffic: neither side is ever given the other's candidates, and there are no ICE servers,
  // so gathering host candidates is all either does. node-datachannel gathers none on loopback:
  // in a namespace of our own (CI runs `npm test` in one) the robots' veth pair gives it one.
  beforeAll(() => {
    const problem = isIsolated() ? addRobotVeth() : undefined;
    if (problem !== undefined) throw new Error(`the offer needs an address to gather: ${problem}`);
  });
  it('an offer tells PeerJS of no candidate before its answer is applied, then of every one; the answerer at once', async () => {
    const offerer = newConnection();
    const answerer = newConnection();
    try {
      const offered: string[] = [];
      const answered: string[] = [];
      offerer.onicecandidate = (e) => void (e.candidate && offered.push(e.candidate.candidate));
      answerer.onicecandidate = (e) => void (e.candidate && answered.push(e.candidate.candidate));
      offerer.createDataChannel('x');
      const offer = await offerer.createOffer();
      await gathered(offerer);
      const gatheredByOfferer = candidateLines(offerer.localDescription?.sdp);
      if (gatheredByOfferer === 0) throw new Error('this machine has no non-loopback address: the test cannot see a candidate held');
      expect(offered).toEqual([]);
      await answerer.setRemoteDescription(offer);
      const answer = await answerer.createAnswer();
      await gathered(answerer);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the answerer's events, if any were held, would be due
      expect(answered).toHaveLength(candidateLines(answerer.localDescription?.sdp));
      expect(offered).toEqual([]);
      await offerer.setRemoteDescription(answer);
      expect(offered).toHaveLength(gatheredByOfferer);
    } finally {
      offerer.close();
      answerer.close();
    }
  });
});
