import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Roles } from '../http/auth.guard.js';
import { ApiTags } from '@nestjs/swagger';
import { CaseCommandMessage } from '../cases/case.messages.js';
import { ReadModelQuery } from '../reads/read-model.query.js';
import { caseIdOf, positionOf } from '../http/ids.js';
import { Clock } from '../clock/clock.js';
import { WaitForDto } from '../http/query.dto.js';
import { tokenRepresentation } from '../cases/representation.js';
import { taskRepresentation } from './representation.js';

@ApiTags('tasks')
@Controller('tasks')
export class TasksController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly clock: Clock,
  ) {}

  @Get(':id')
  get(@Param('id') id: string, @Query() query: WaitForDto) {
    return this.queries.execute(new ReadModelQuery({ kind: 'task', id }, positionOf(query.waitFor)));
  }

  @Roles('worker')
  @Post(':id/preexecute')
  @HttpCode(200)
  async preexecute(@Param('id') id: string) {
    const caseId = caseIdOf(id, 'task');
    const outcome = await this.commands.execute(
      new CaseCommandMessage({ type: 'PreexecuteTask', data: { caseId, taskId: id, at: this.clock.iso() } }),
    );
    return {
      tokens: outcome.lockedTokens.map((token) => tokenRepresentation(caseId, token)),
      position: outcome.position.toString(),
    };
  }

  @Post(':id/abandon')
  @HttpCode(200)
  async abandon(@Param('id') id: string) {
    const caseId = caseIdOf(id, 'task');
    const outcome = await this.commands.execute(
      new CaseCommandMessage({
        type: 'ForceAbandonTask',
        data: { caseId, taskId: id, at: this.clock.iso() },
      }),
    );
    return { ...taskRepresentation(caseId, outcome.task), position: outcome.position.toString() };
  }
}
