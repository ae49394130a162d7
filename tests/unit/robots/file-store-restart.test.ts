/**
 * A robot restarted after an upgrade: its FileStore directory holds what the build before the
 * one store wrote (a decision as a StoredNode blob file, a book in the version-2 log layout), and
 * the same Classroom a robot runs restarts both from it through the one reader, migrated, with
 * nothing made listen-only. The files below are the bytes those builds wrote, file names included.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Classroom } from '../../../src/classroom/classroom.ts';
import { readStoredNode } from '../../../src/classroom/node-store.ts';
import { parseClassroomMessage, type ClassroomMessage } from '../../../src/classroom/protocol.ts';
import { Prng } from '../../../src/core/prng.ts';
import { ALGORITHMS } from '../../../src/machines/index.ts';
import { LOG_ALGORITHMS } from '../../../src/machines/log-index.ts';
import { FileStore } from '../../../src/robots/file-store.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import { FakeClock } from '../classroom/fake-clock.ts';

const OLD_FILES: Readonly<Record<string, string>> = {
  // A Paxos acceptor that promised 5.n2 (StoredNode version 1).
  'node%3Ad1-ab.json':
    '{"version":1,"decision":{"id":"d1-ab","seq":1,"algorithm":"paxos","scenario":"colors","members":["n1","n2","n3"],"startedAt":0},"durable":{"promised":{"round":5,"node":"n2"}},"proposed":[]}',
  // A Raft replica in term 2 that voted for n1, holding two entries (log layout version 2).
  'log%3Ab2-cd%3Abook.json': '{"id":"b2-cd","seq":2,"algorithm":"raft","stateMachine":"orders","members":["n1","n2","n3"],"startedAt":0}',
  'log%3Ab2-cd%3Aclient.json': '{"client":"n3~0000001","nextSeq":2,"queue":[]}',
  'log%3Ab2-cd%3Ahard.json': '{"term":2,"votedFor":"n1"}',
  'log%3Ab2-cd%3Ae%3A1.json': '{"term":1,"command":{"kind":"noop"}}',
  'log%3Ab2-cd%3Ae%3A2.json': '{"term":2,"command":{"kind":"command","client":"n1~0000001","seq":1,"command":{"op":"place","order":"A","item":"book"}}}',
  'log%3Ab2-cd%3Ameta.json': '{"version":2,"last":2,"base":0}',
};

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function robotClassroom(store: FileStore): Classroom {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock, delayMs: 1 });
  const prng = Prng.fromSeed(3);
  return new Classroom({
    transport: network.createTransport<ClassroomMessage>('n3', { name: 'robot', role: 'student', parse: parseClassroomMessage }),
    role: 'student',
    store,
    clock,
    random: () => prng.float(),
    algorithms: ALGORITHMS,
    logAlgorithms: LOG_ALGORITHMS,
  });
}

describe('a robot restarted after the upgrade', () => {
  it('restarts its stored decision and its stored book from the older formats, migrated, neither listen-only', () => {
    dir = mkdtempSync(join(tmpdir(), 'robot-store-'));
    for (const [name, text] of Object.entries(OLD_FILES)) writeFileSync(join(dir, name), text);
    const store = new FileStore(dir);
    expect(readStoredNode(store, 'd1-ab')).toMatchObject({ kind: 'ok', from: 'stored-node-v1' });
    expect(readStoredNode(store, 'b2-cd')).toMatchObject({ kind: 'ok', from: 'log-v2', durable: { hard: { term: 2, votedFor: 'n1' } } });

    const classroom = robotClassroom(store);
    const node = classroom.node('d1-ab');
    expect(node?.view().storage).toBeUndefined();
    expect(node?.view().fields.find((f) => f.label === 'promised')?.value).toMatch(/5/);
    const replica = classroom.logNode('b2-cd');
    expect(replica?.logView()).toMatchObject({ listenOnly: false, lastIndex: 2 });
    expect(replica?.clientId).toBe('n3~0000001');
    classroom.close();

    // The decision is in the one layout now, its blob file gone; the book's files are as they were.
    const files = readdirSync(dir).sort();
    expect(files).not.toContain('node%3Ad1-ab.json');
    expect(files).toEqual(expect.arrayContaining(['log%3Ad1-ab%3Adecision.json', 'log%3Ad1-ab%3Ahard.json', 'log%3Ad1-ab%3Ameta.json']));
    expect(readStoredNode(new FileStore(dir), 'd1-ab')).toMatchObject({ kind: 'ok', from: 'current', durable: { hard: { promised: { round: 5, node: 'n2' } } } });
  });
});
