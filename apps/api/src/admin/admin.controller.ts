import { Controller, HttpCode, Logger, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ProjectionRunner, describeProgress } from '../projections/index.js';

@ApiTags('operations')
@Controller('admin')
export class AdminController {
  private readonly logger = new Logger('rebuild');

  constructor(private readonly runner: ProjectionRunner) {}

  /** Drops every read model and replays the event store into them from position 0 (admin only). */
  @Post('rebuild')
  @HttpCode(200)
  async rebuild() {
    const report = await this.runner.rebuild((progress) => {
      if (!progress.done) this.logger.log(describeProgress('rebuild', progress));
    });
    return {
      events: report.events,
      position: report.position.toString(),
      seconds: report.elapsedMs / 1000,
      eventsPerSecond: Math.round(report.eventsPerSecond),
    };
  }
}
