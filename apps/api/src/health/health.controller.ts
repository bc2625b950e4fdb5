import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { NoRateLimit } from '../http/rate-limit.guard.js';
import type { Response } from 'express';
import type { Config } from '../config/config.js';
import { Engine } from '../engine/engine.js';
import { CONFIG } from '../engine/tokens.js';
import { Followers } from '../followers/followers.js';
import { Public } from '../http/auth.guard.js';
import { READ_MODELS } from '../projections/index.js';
import { readiness } from './readiness.js';

// Probes must not be turned away by the rate limit they have nothing to do with.
@NoRateLimit()
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly engine: Engine,
    private readonly followers: Followers,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /**
   * Readiness: 200 while the store answers and the read models keep up with it, else 503. Every follower
   * of the store shows its position.
   */
  @Public()
  @Get()
  async health(@Res({ passthrough: true }) response: Response) {
    const store = this.engine.store.description;
    const readModels = this.followers.get(READ_MODELS);
    const position = readModels?.position ?? 0n;
    const head = await this.engine.store.headPosition().catch(() => undefined);
    const state = readiness({
      head,
      projectionPosition: position,
      following: readModels?.following ?? false,
      maxLag: this.config.readyMaxLag,
    });
    const facts = {
      store,
      projectionPosition: position.toString(),
      ...(state.lag !== undefined && { projectionLag: state.lag.toString() }),
      followers: Object.fromEntries(
        this.followers.all.map(({ id, position, following }) => [
          id,
          { position: position.toString(), following },
        ]),
      ),
    };
    if (state.ready) return { status: 'ok', ...facts };
    response.status(503);
    return {
      statusCode: 503,
      code: state.code,
      message: state.message,
      status: 'unavailable',
      ...facts,
    };
  }
}
