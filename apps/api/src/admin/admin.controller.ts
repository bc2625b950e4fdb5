import { Body, Controller, Get, HttpCode, Logger, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ReadModelRunner, describeProgress } from '../projections/index.js';
import { Clock, ClockInputError } from '../clock/clock.js';
import { MoveClockDto } from '../clock/clock.dto.js';
import { HttpError } from '../http/error.filter.js';

@ApiTags('operations')
@Controller('admin')
export class AdminController {
  private readonly logger = new Logger('rebuild');

  constructor(
    private readonly runner: ReadModelRunner,
    private readonly clock: Clock,
  ) {}

  @Get('clock')
  clockNow() {
    return { now: this.clock.iso(), mode: this.clock.mode };
  }

  /** Moves a manual clock (`WFNET_CLOCK=manual`): `{"advance": "PT1H"}` or `{"set": "<ISO time>"}` (admin only). */
  @Post('clock')
  @HttpCode(200)
  moveClock(@Body() body: MoveClockDto) {
    if (this.clock.mode !== 'manual') {
      throw new HttpError(
        404,
        'not_found',
        'the clock is the system clock: start with WFNET_CLOCK=manual to move it',
      );
    }
    const { advance, set } = body;
    if ((advance === undefined) === (set === undefined)) {
      throw new HttpError(400, 'validation_failed', 'give one of advance or set', [
        { path: advance === undefined ? 'advance' : 'set', message: 'give exactly one of advance and set' },
      ]);
    }
    try {
      if (advance !== undefined) this.clock.advance(advance);
      else if (set !== undefined) this.clock.set(set);
    } catch (error) {
      if (!(error instanceof ClockInputError)) throw error;
      const path = advance === undefined ? 'set' : 'advance';
      throw new HttpError(400, 'validation_failed', error.message, [{ path, message: error.message }]);
    }
    return this.clockNow();
  }

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
