import { Controller, Get, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import { NoRateLimit } from '../http/rate-limit.guard.js';
import type { Response } from 'express';
import { HealthQuery } from './health.query.js';
import { Public } from '../http/auth.guard.js';

// Probes must not be turned away by the rate limit they have nothing to do with.
@NoRateLimit()
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(private readonly queries: QueryBus) {}

  /** Readiness: 200 while the store answers and the read models keep up with it, else 503. */
  @Public()
  @Get()
  async health(@Res({ passthrough: true }) response: Response) {
    const { ready, body } = await this.queries.execute(new HealthQuery());
    if (!ready) response.status(503);
    return body;
  }
}
