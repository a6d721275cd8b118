/**
 * Cryptographically random bytes drawn from a pool refilled 4 KB at a time: one getRandomValues
 * call per id was a visible share of a create's CPU time. Web Crypto: works in Node and browsers.
 */
const pool = new Uint8Array(4096);
let poolOffset = pool.length;

function randomBytes(n: number): Uint8Array {
  if (poolOffset + n > pool.length) {
    globalThis.crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  const out = pool.slice(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** URL-safe random ids (32 lowercase hex characters, the same shape as MLflow's run ids). */
export function newId(): string {
  let id = '';
  for (const b of randomBytes(16)) id += HEX[b];
  return id;
}

/** A uniformly random integer in [0, 2^32), for run seeds. */
export function randomSeed(): number {
  const b = randomBytes(4);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

export const ID_PATTERN = /^[0-9a-f]{32}$/;

export const nowIso = (): string => new Date().toISOString();
