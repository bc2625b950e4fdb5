import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { Config } from '../config/config.js';
import { CONFIG } from '../tokens.js';
import { Callers } from '../http/caller.js';
import { HttpError } from '../http/error.filter.js';

/**
 * Counts the open event streams per caller (API key, JWT user, or client address without either): each
 * holds a connection and a subscription to the store for as long as its case runs, so one caller may not
 * open them without bound and slow every other request.
 */
@Injectable()
export class EventStreamLimit {
  private readonly open = new Map<string, number>();
  private readonly max: number;

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(Callers) private readonly callers: Callers,
  ) {
    this.max = config.maxStreamsPerCaller;
  }

  /** Counts a stream of the request's caller, or `429 too_many_streams`; answers the release, to call once. */
  acquire(request: Request): () => void {
    const caller = this.callers.of(request);
    const count = this.open.get(caller) ?? 0;
    if (count >= this.max) {
      throw new HttpError(
        429,
        'too_many_streams',
        `at most ${this.max} event streams may be open at once per API key or JWT user (or client address without either); close one first`,
      );
    }
    this.open.set(caller, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(caller) ?? 1) - 1;
      if (left > 0) this.open.set(caller, left);
      else this.open.delete(caller);
    };
  }
}
