/**
 * A robot's offer keeps its local ICE candidates to itself until the answer is applied
 * (node-webrtc.ts RobotPeerConnection puts every local candidate through one of these).
 *
 * Why: libdatachannel 0.24.5 (node-datachannel 0.33.4) applies a remote answer in two steps,
 * the ICE agent first (impl/icetransport.cpp setRemoteDescription) and the PeerConnection's own
 * copy of it, which holds the fingerprint the DTLS check reads, second (rtc::PeerConnection::
 * setRemoteDescription, then impl::PeerConnection::processRemoteDescription). When the answerer
 * already knows our candidate it checks us before its answer reaches us; our agent answers those
 * checks and keeps the pair, so the moment the agent has the answer it checks that pair, ICE
 * connects, DTLS starts and replays the answerer's buffered ClientHello, and the answerer's
 * certificate can arrive before the second step: checkFingerprint finds no remote description,
 * the handshake fails with "unknown CA" and the dial is lost. Measured: with the ICE UDP mux
 * (one thread per port that reacts in microseconds) 4–15 robot dials of ~710 a 40-node room
 * (bench:room) failed like this, every one a DTLS server (the offerer) rejecting the client's
 * certificate with no "Invalid fingerprint" logged; with one busy poll thread for every socket
 * the race was lost too seldom to show. An answerer that does not know where we are cannot check
 * us early: it hears from us once our agent, the answer fully applied, checks the candidates it
 * sent with its answer, and answers that check with its own (a peer-reflexive pair), after the
 * second step. No handshake is slower for it: ours could not finish before the answer anyway.
 *
 * Pure bookkeeping: what to hold is decided by the caller (is this connection an offer still
 * waiting for its answer?).
 */
export class AnswerGate<T> {
  private held: T[] = [];
  private open = false;

  constructor(private readonly pass: (item: T) => void) {}

  /** A local candidate: held while `awaitingAnswer` and the gate was never opened, passed on otherwise. */
  candidate(item: T, awaitingAnswer: boolean): void {
    if (!this.open && awaitingAnswer) this.held.push(item);
    else this.pass(item);
  }

  /** The answer is applied (both steps): what was held passes on, in order, and nothing is held again. */
  answered(): void {
    this.open = true;
    const held = this.held;
    this.held = [];
    for (const item of held) this.pass(item);
  }

  /** The connection closed: what was held is dropped (its peer has nothing to check any more). */
  closed(): void {
    this.open = true;
    this.held = [];
  }

  /** Candidates held now (for the test). */
  get holding(): number {
    return this.held.length;
  }
}
