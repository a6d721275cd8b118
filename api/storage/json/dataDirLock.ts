/**
 * One server per data folder. The lock file records the owner's pid and host; a lock whose owner is
 * gone (killed server) is taken over at once, a live owner makes the second server refuse to start.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOCK_FILE } from '../../../src/shared/contract/constants';

export class DataDirLockedError extends Error {
  constructor(
    readonly lockFile: string,
    readonly ownerPid: number | null,
  ) {
    super(
      `The data folder is in use by another ModelLab server (pid ${ownerPid ?? 'unknown'}, lock file ${lockFile}). ` +
        'Stop that server, or point MODELLAB_DATA_DIR at another folder. If you are sure no server uses it, delete the lock file.',
    );
    this.name = 'DataDirLockedError';
  }
}

interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
}

/** Folders locked by this process: our own pid in a lock file is only ours if we hold it now. */
const heldHere = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(lockFile: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(lockFile, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.hostname === 'string' ? (owner as LockOwner) : null;
  } catch {
    return null;
  }
}

function ownerIsLive(lockFile: string, owner: LockOwner | null): boolean {
  if (!owner) return false; // unreadable: a writer died between create and write
  if (owner.hostname !== os.hostname()) return true; // cannot check another machine's processes: be safe
  if (owner.pid === process.pid) return heldHere.has(lockFile);
  return processAlive(owner.pid);
}

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const lockFile = path.resolve(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(lockFile, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readOwner(lockFile);
      if (ownerIsLive(lockFile, owner)) throw new DataDirLockedError(lockFile, owner?.pid ?? null);
      rmSync(lockFile, { force: true }); // stale: its owner is gone
      continue;
    }
    const owner: LockOwner = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
    writeSync(fd, JSON.stringify(owner));
    closeSync(fd);
    heldHere.add(lockFile);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      heldHere.delete(lockFile);
      if (readOwner(lockFile)?.pid === process.pid) rmSync(lockFile, { force: true });
      process.off('exit', release);
    };
    process.on('exit', release);
    return { file: lockFile, release };
  }
  throw new DataDirLockedError(lockFile, readOwner(lockFile)?.pid ?? null);
}

/** Throws DataDirLockedError when a live server holds the folder's lock; creates and changes nothing (a reader such as `modellab migrate`). */
export function checkDataDirUnlocked(dataDir: string): void {
  const lockFile = path.resolve(dataDir, LOCK_FILE);
  const owner = readOwner(lockFile);
  if (owner && ownerIsLive(lockFile, owner)) throw new DataDirLockedError(lockFile, owner.pid);
}
