import { Controller, Get, Res } from '@nestjs/common';
import { Public } from '../http/auth.guard.js';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Engine } from '../engine/engine.js';
import { ReadModelQueries } from '../engine/read-model-queries.js';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly engine: Engine,
    private readonly readModels: ReadModelQueries,
  ) {}

  @Public()
  @Get()
  async health(@Res({ passthrough: true }) response: Response) {
    const store = this.engine.store.description;
    const projectionPosition = this.readModels.position.toString();
    try {
      await this.engine.store.headPosition();
      return { status: 'ok', store, projectionPosition };
    } catch {
      response.status(503);
      return {
        statusCode: 503,
        code: 'store_unavailable',
        message: 'the event store is unreachable',
        status: 'unavailable',
        store,
        projectionPosition,
      };
    }
  }
}
