import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (key: string): Buffer => createHash('sha256').update(key).digest();

/**
 * Who a request counts against for limits: its API key when it presents a configured one, else its client
 * address (so that inventing keys buys no fresh allowance). Keys are known by digest only.
 */
export class Callers {
  private readonly keyDigests: readonly Buffer[];

  constructor(keys: Iterable<string>) {
    this.keyDigests = [...keys].map(digest);
  }

  of(request: Request): string {
    const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
    if (match) {
      const presented = digest(match[1]!.trim());
      let known = false;
      // Every key is compared, as in the auth guard, so timing does not tell which one matched.
      for (const key of this.keyDigests) if (timingSafeEqual(key, presented)) known = true;
      if (known) return `key:${presented.toString('hex')}`;
    }
    return `address:${request.ip ?? 'unknown'}`;
  }
}
