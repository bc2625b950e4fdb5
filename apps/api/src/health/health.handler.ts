import { Inject } from '@nestjs/common';
import { QueryHandler } from '@nestjs/cqrs';
import type { IQueryHandler } from '@nestjs/cqrs';
import type { EventStore } from '@wfnet/domain';
import type { Config } from '../config/config.js';
import { Followers } from '../followers/followers.js';
import { READ_MODELS } from '../projections/index.js';
import { CONFIG, EVENT_STORE } from '../tokens.js';
import type { Health } from './health.query.js';
import { HealthQuery } from './health.query.js';
import { readiness } from './readiness.js';

/** Ready means: the store answers, and the read models follow it no more than `readyMaxLag` events behind. */
@QueryHandler(HealthQuery)
export class HealthQueryHandler implements IQueryHandler<HealthQuery, Health> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly followers: Followers,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** Ready while the store answers and the read models keep up with it; every follower shows its position. */
  async execute(): Promise<Health> {
    const readModels = this.followers.get(READ_MODELS);
    const position = readModels?.position ?? 0n;
    const head = await this.#writableHead().catch(() => undefined);
    const state = readiness({
      head,
      projectionPosition: position,
      following: readModels?.following ?? false,
      maxLag: this.config.readyMaxLag,
    });
    const facts = {
      store: this.store.description,
      projectionPosition: position.toString(),
      ...(state.lag !== undefined && { projectionLag: state.lag.toString() }),
      followers: Object.fromEntries(
        this.followers.all.map(({ id, position, following }) => [
          id,
          { position: position.toString(), following },
        ]),
      ),
    };
    if (state.ready) return { ready: true, body: { status: 'ok', ...facts } };
    return {
      ready: false,
      body: { statusCode: 503, code: state.code, message: state.message, status: 'unavailable', ...facts },
    };
  }

  /** Only here is the store asked whether it takes writes: the check may write. */
  async #writableHead(): Promise<bigint> {
    await this.store.checkWritable?.();
    return this.store.headPosition();
  }
}
