/**
 * The globals shared code may use: the ones browsers and Node (≥ 20) both provide, declared here
 * because src/shared compiles with neither the DOM library nor Node's types. Add one only when both
 * runtimes have it.
 */
declare global {
  class TextEncoder {
    encode(input?: string): Uint8Array;
    encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
  }
  class TextDecoder {
    constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
    decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
  }
  function structuredClone<T>(value: T): T;
  var crypto: { getRandomValues<T extends ArrayBufferView | null>(array: T): T };
}

export {};
