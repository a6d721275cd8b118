/** The git state of the code the server runs (HEAD, branch, dirty), for runs that do not say. Node only. */
import { simpleGit } from 'simple-git';
import type { GitInfo } from '../src/shared/runs/lifecycle';

const NONE: GitInfo = { commit: null, branch: null, dirty: null };

/** No repository to read (MODELLAB_GIT_DIR unset): runs that give no commit record nulls. */
export const noGitInfo = (): Promise<GitInfo> => Promise.resolve(NONE);

/** Reads HEAD of the repository containing `dir`, cached for `ttlMs` so a burst of creates runs git once. */
export function gitInfoProvider(dir: string, ttlMs = 2000): () => Promise<GitInfo> {
  let cached: { at: number; value: Promise<GitInfo> } | null = null;
  const read = async (): Promise<GitInfo> => {
    try {
      const git = simpleGit({ baseDir: dir, timeout: { block: 5000 } });
      if (!(await git.checkIsRepo())) return NONE;
      const commit = (await git.revparse(['HEAD'])).trim();
      const branch = (await git.revparse(['--abbrev-ref', 'HEAD'])).trim();
      const status = await git.status();
      return { commit: commit || null, branch: branch && branch !== 'HEAD' ? branch : null, dirty: !status.isClean() };
    } catch {
      return NONE; // not a repository, no commits yet, or git missing
    }
  };
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > ttlMs) cached = { at: now, value: read() };
    return cached.value;
  };
}
