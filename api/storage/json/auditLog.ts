/**
 * The JSON store's audit log: one JSON line per entry in `audit.jsonl`, apart from db.json (append
 * only, and it grows with every mutation, so it is never held in memory). Appends are group
 * committed and fdatasync'ed before they resolve. A line torn by a crash mid-append is cut off when
 * the log opens; lists read the file (newest first), which is fine for an admin's page and would
 * want an index at millions of entries.
 */
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuditDraft, AuditEntry, AuditFilter } from '../../../src/shared/auth';
import { AppendLog } from '../durableFile';
import { AUDIT_FILE } from '../../../src/shared/contract/constants';

import { GroupCommit } from '../groupCommit';


export class AuditLog {
  private readonly log: AppendLog;
  private count = 0;
  /** Opened at the first append: a data folder without users gets no audit file. */
  private opened = false;
  private readonly commits = new GroupCommit<AuditDraft>((drafts) => this.write(drafts));

  constructor(dataDir: string) {
    this.log = new AppendLog(path.join(dataDir, AUDIT_FILE));
  }

  async open(): Promise<void> {
    const text = await readFile(this.log.file, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? '' : Promise.reject(error)));
    const end = text.lastIndexOf('\n') + 1; // a torn last line (no newline) is not an entry
    this.count = text.slice(0, end).split('\n').length - 1;
    if (text.length > 0) await this.openFile(Buffer.byteLength(text.slice(0, end)));
  }

  private async openFile(keep?: number): Promise<void> {
    await this.log.open();
    this.opened = true;
    if (keep !== undefined && keep !== this.log.size) await this.log.truncate(keep);
  }

  append(drafts: AuditDraft[]): Promise<void> {
    return this.commits.add(drafts);
  }

  private async write(drafts: AuditDraft[]): Promise<void> {
    const lines = drafts.map((d, i) => JSON.stringify({ seq: this.count + i + 1, ...d }) + '\n').join('');
    if (!this.opened) await this.openFile();
    const before = this.log.size;
    try {
      await this.log.append([Buffer.from(lines)]);
    } catch (error) {
      await this.log.truncate(before).catch(() => undefined);
      throw error;
    }
    this.count += drafts.length;
  }

  async list(filter: AuditFilter): Promise<{ items: AuditEntry[]; total: number }> {
    await this.commits.settled();
    if (!this.opened) return { items: [], total: 0 };
    const handle = await open(this.log.file, 'r');
    let text: string;
    try {
      text = (await handle.readFile('utf8')).slice(0, this.log.size);
    } finally {
      await handle.close();
    }
    const matching: AuditEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      const entry = JSON.parse(line) as AuditEntry;
      if ((filter.user === undefined || entry.user === filter.user) && (filter.action === undefined || entry.action === filter.action)) matching.push(entry);
    }
    matching.reverse();
    return { items: matching.slice(filter.offset, filter.offset + filter.limit), total: matching.length };
  }

  async close(): Promise<void> {
    await this.commits.settled();
    await this.log.close();
  }
}
