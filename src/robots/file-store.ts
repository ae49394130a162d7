/**
 * A robot's durable storage: the classroom's `DurableStore` on files, one JSON file per key in
 * the robot's own directory. Synchronous like localStorage, so persist-before-reply holds the
 * same way (a node's `persist` is on disk before the step's messages leave). Each write goes to
 * a temporary file that is then renamed over the old one: a crash mid-write leaves the old value
 * or the new, never half of one. (No fsync: a robot's crash is its process ending, which loses
 * nothing the kernel already has; power loss on the teacher's laptop is out of scope.)
 *
 * A file that cannot be read at all (permissions, I/O) throws `UnreadableStoreError`: the robot
 * refuses to join rather than forget its promises. A file that reads but does not parse loads
 * as undefined while `exists` still reports it, so its node restarts listen-only, as a tab's does
 * (classroom/node-store.ts, the one adapter and reader every node is stored by, a robot's too,
 * which also migrates what an older build stored): never afresh over state it had.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DurableStore } from '../classroom/storage.ts';

export class UnreadableStoreError extends Error {
  constructor(readonly file: string, cause: unknown) {
    super(`robot storage ${file} is unreadable (${cause instanceof Error ? cause.message : String(cause)}); refusing to start afresh`);
  }
}

const SUFFIX = '.json';

function fileName(key: string): string {
  return encodeURIComponent(key) + SUFFIX;
}

export class FileStore implements DurableStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  load(key: string): unknown {
    const file = join(this.dir, fileName(key));
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new UnreadableStoreError(file, error);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // There but unreadable: `exists` still says so, and the node restarts listen-only (as a
      // tab does), never as a fresh node.
      return undefined;
    }
  }

  exists(key: string): boolean {
    return existsSync(join(this.dir, fileName(key)));
  }

  save(key: string, value: unknown): void {
    const file = join(this.dir, fileName(key));
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(value));
    renameSync(temporary, file);
  }

  remove(key: string): void {
    rmSync(join(this.dir, fileName(key)), { force: true });
  }

  keys(prefix: string): string[] {
    return readdirSync(this.dir)
      .filter((name) => name.endsWith(SUFFIX))
      .map((name) => decodeURIComponent(name.slice(0, -SUFFIX.length)))
      .filter((key) => key.startsWith(prefix));
  }
}
