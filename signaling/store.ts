/**
 * The signaling server's memory across restarts: an embedded SQLite database (better-sqlite3,
 * synchronous, so a check and its write happen in one turn of the event loop and every write is
 * on disk before the client hears back: persist-before-reply).
 *
 * What it keeps, and nothing else (README "What the server keeps"):
 * - rooms: the code, when it was created and last used, and the SHA-256 digest of its
 *   teacher's key (null until a teacher claims the room);
 * - node ids: per room, each id's SHA-256 token digest and whether it is a robot.
 * No display names, no addresses, no messages: names live in memory only, while a tab is
 * connected. Rows go when the teacher closes the room or its retention runs out.
 *
 * Schema versioned with PRAGMA user_version; WAL journal. A database that cannot be opened or
 * that carries a schema this server does not know is an error at start, never a fresh start
 * (a fresh start would hand every room to the first impostor).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { NodeName, RoomCode } from '../src/rooms/room-code.ts';

/** Bump with a migration in `migrate` when the tables change. */
export const SCHEMA_VERSION = 1;

export type NodeKind = 'tab' | 'robot';

export interface StoredRoom {
  readonly code: RoomCode;
  /** Digest of the teacher's key; undefined until the first host subscription claims the room. */
  readonly teacherKeyDigest: Buffer | undefined;
  readonly createdAt: number;
  readonly lastActiveAt: number;
}

export interface StoredNode {
  readonly node: NodeName;
  readonly tokenDigest: Buffer;
  readonly kind: NodeKind;
}

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

interface RoomRow {
  code: string;
  teacher_key_digest: Buffer | null;
  created_at: number;
  last_active_at: number;
}

interface NodeRow {
  node: string;
  token_digest: Buffer;
  kind: string;
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new StoreError(`the state database has schema version ${version}; this server knows up to ${SCHEMA_VERSION} (a newer server wrote it)`);
  }
  if (version === SCHEMA_VERSION) return;
  db.transaction(() => {
    if (version < 1) {
      db.exec(`
        CREATE TABLE rooms (
          code TEXT PRIMARY KEY NOT NULL,
          teacher_key_digest BLOB,
          created_at INTEGER NOT NULL,
          last_active_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE nodes (
          room TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
          node TEXT NOT NULL,
          token_digest BLOB NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('tab', 'robot')),
          created_at INTEGER NOT NULL,
          PRIMARY KEY (room, node)
        ) STRICT;
      `);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

export class RoomStore {
  private readonly db: Database.Database;
  private readonly statements;

  /**
   * Opens (creating if needed) the database at `file`; ':memory:' for a store that dies with the
   * process (unit tests only). Throws StoreError if it cannot be opened or read.
   */
  constructor(readonly file: string) {
    try {
      if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      this.db = new Database(file);
      if (file !== ':memory:') this.db.pragma('journal_mode = WAL');
      // WAL + NORMAL: a committed write survives a process crash; a power cut may lose the last
      // transaction, which only costs a room it created in that instant.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      migrate(this.db);
      this.db.prepare('SELECT count(*) FROM rooms').get();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(`cannot open the state database ${file}: ${(error as Error).message}`);
    }
    const db = this.db;
    this.statements = {
      room: db.prepare<[string], RoomRow>('SELECT code, teacher_key_digest, created_at, last_active_at FROM rooms WHERE code = ?'),
      roomCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM rooms'),
      roomCodes: db.prepare<[], { code: string }>('SELECT code FROM rooms ORDER BY code'),
      createRoom: db.prepare<[string, number, number]>('INSERT INTO rooms (code, teacher_key_digest, created_at, last_active_at) VALUES (?, NULL, ?, ?)'),
      claimRoom: db.prepare<[Buffer, string]>('UPDATE rooms SET teacher_key_digest = ? WHERE code = ? AND teacher_key_digest IS NULL'),
      touchRoom: db.prepare<[number, string]>('UPDATE rooms SET last_active_at = max(last_active_at, ?) WHERE code = ?'),
      deleteRoom: db.prepare<[string]>('DELETE FROM rooms WHERE code = ?'),
      expired: db.prepare<[number, number], { code: string }>(
        `SELECT code FROM rooms WHERE (teacher_key_digest IS NOT NULL AND last_active_at <= ?)
                                   OR (teacher_key_digest IS NULL AND last_active_at <= ?)`,
      ),
      node: db.prepare<[string, string], NodeRow>('SELECT node, token_digest, kind FROM nodes WHERE room = ? AND node = ?'),
      nodeCount: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM nodes WHERE room = ?'),
      bindNode: db.prepare<[string, string, Buffer, string, number]>('INSERT INTO nodes (room, node, token_digest, kind, created_at) VALUES (?, ?, ?, ?, ?)'),
    };
  }

  room(code: RoomCode): StoredRoom | undefined {
    const row = this.statements.room.get(code);
    if (row === undefined) return undefined;
    return {
      code: row.code as RoomCode,
      teacherKeyDigest: row.teacher_key_digest ?? undefined,
      createdAt: row.created_at,
      lastActiveAt: row.last_active_at,
    };
  }

  roomCount(): number {
    return this.statements.roomCount.get()?.n ?? 0;
  }

  roomCodes(): RoomCode[] {
    return this.statements.roomCodes.all().map((row) => row.code as RoomCode);
  }

  createRoom(code: RoomCode, now: number): void {
    this.statements.createRoom.run(code, now, now);
  }

  /** Binds the teacher's key digest to a room nobody claimed yet. False if it was already claimed. */
  claimRoom(code: RoomCode, teacherKeyDigest: Buffer): boolean {
    return this.statements.claimRoom.run(teacherKeyDigest, code).changes === 1;
  }

  touchRoom(code: RoomCode, now: number): void {
    this.statements.touchRoom.run(now, code);
  }

  /** Deletes the room and its node ids. */
  deleteRoom(code: RoomCode): void {
    this.statements.deleteRoom.run(code);
  }

  /**
   * Rooms past their retention: claimed ones last used at or before now − retentionMs,
   * unclaimed ones at or before now − unclaimedRetentionMs. The caller skips rooms with members.
   */
  expiredRooms(now: number, retentionMs: number, unclaimedRetentionMs: number): RoomCode[] {
    return this.statements.expired.all(now - retentionMs, now - unclaimedRetentionMs).map((row) => row.code as RoomCode);
  }

  node(room: RoomCode, node: NodeName): StoredNode | undefined {
    const row = this.statements.node.get(room, node);
    if (row === undefined) return undefined;
    return { node: row.node as NodeName, tokenDigest: row.token_digest, kind: row.kind === 'robot' ? 'robot' : 'tab' };
  }

  nodeCount(room: RoomCode): number {
    return this.statements.nodeCount.get(room)?.n ?? 0;
  }

  bindNode(room: RoomCode, node: NodeName, tokenDigest: Buffer, kind: NodeKind, now: number): void {
    this.statements.bindNode.run(room, node, tokenDigest, kind, now);
  }

  /** Runs `body` in one transaction: all its writes land, or none. */
  transaction<T>(body: () => T): T {
    return this.db.transaction(body)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
