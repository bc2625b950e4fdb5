import { Buffer } from 'node:buffer';
import { randomFillSync } from 'node:crypto';

/** The ASCII codes of the hex digits of each byte value: two a byte, high nibble first. */
const HEX = new Uint8Array(512);
for (let byte = 0; byte < 256; byte++) {
  const digits = byte.toString(16).padStart(2, '0');
  HEX[2 * byte] = digits.charCodeAt(0);
  HEX[2 * byte + 1] = digits.charCodeAt(1);
}
const DASH = '-'.charCodeAt(0);

/**
 * Random bytes drawn ahead for the ids of many commands: each draw from the system costs about as much as
 * the ids of a whole command, so one draw serves many commands (the `uuid` package's pool does the same).
 * Bytes are handed out once, from `poolUsed` on.
 */
const POOL_IDS = 1024;
const pool = Buffer.allocUnsafe(16 * POOL_IDS);
let poolUsed = pool.length;

function randomBytes(length: number): Uint8Array {
  if (length > pool.length) return randomFillSync(Buffer.allocUnsafe(length));
  if (poolUsed + length > pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  poolUsed += length;
  return pool.subarray(poolUsed - length, poolUsed);
}

/**
 * `count` UUIDs version 7 (RFC 9562: 48 bits of Unix milliseconds, then 74 random bits), as the ids of
 * the events one command appends. Bytes from the pool and one buffer of text serve them all, and each
 * id is a single string cut from it: building each id from its own bytes, pieces and case change
 * (the `uuid` package's way) made most of an event's id garbage.
 */
export function eventIds(count: number, msecs = Date.now()): string[] {
  const bytes = randomBytes(16 * count);
  const text = Buffer.allocUnsafe(36 * count);
  let at = 0;
  for (let id = 0; id < count; id++) {
    const first = 16 * id;
    bytes[first] = (msecs / 0x10000000000) & 0xff;
    bytes[first + 1] = (msecs / 0x100000000) & 0xff;
    bytes[first + 2] = (msecs / 0x1000000) & 0xff;
    bytes[first + 3] = (msecs / 0x10000) & 0xff;
    bytes[first + 4] = (msecs / 0x100) & 0xff;
    bytes[first + 5] = msecs & 0xff;
    bytes[first + 6] = 0x70 | ((bytes[first + 6] as number) & 0x0f);
    bytes[first + 8] = 0x80 | ((bytes[first + 8] as number) & 0x3f);
    for (let index = 0; index < 16; index++) {
      const byte = bytes[first + index] as number;
      text[at++] = HEX[2 * byte] as number;
      text[at++] = HEX[2 * byte + 1] as number;
      // 8-4-4-4-12 digits: a dash after bytes 3, 5, 7 and 9.
      if (index === 3 || index === 5 || index === 7 || index === 9) text[at++] = DASH;
    }
  }
  return Array.from({ length: count }, (_, id) => text.toString('latin1', 36 * id, 36 * id + 36));
}
