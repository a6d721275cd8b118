/** URL-safe random ids (32 lowercase hex characters, the same shape as MLflow's run ids). Web Crypto: works in Node and browsers. */
export function newId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A uniformly random integer in [0, 2^32), for run seeds. */
export function randomSeed(): number {
  const word = new Uint32Array(1);
  globalThis.crypto.getRandomValues(word);
  return word[0]!;
}

export const ID_PATTERN = /^[0-9a-f]{32}$/;

export const nowIso = (): string => new Date().toISOString();
