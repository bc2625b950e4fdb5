import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { NoRateLimit } from '../http/rate-limit.guard.js';
import type { Response } from 'express';
import { Metrics } from './metrics.js';

// A scraper polls on a fixed schedule; counting it against a rate limit would only drop samples.
@NoRateLimit()
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  /** Prometheus text format; like every GET it needs a key of any role when keys are configured. */
  @Get()
  @Header('cache-control', 'no-store')
  async metricsText(@Res({ passthrough: true }) response: Response): Promise<string> {
    response.type(this.metrics.contentType);
    return this.metrics.text();
  }
}
