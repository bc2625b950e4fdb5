import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import { CaseCommandMessage } from '../cases/case.messages.js';
import type { Config } from '../config/config.js';
import { caseIdOf, positionOf } from '../http/ids.js';
import { Clock } from '../clock/clock.js';
import { assertDataWithin } from '../http/limits.js';
import { WaitForDto, pageOf } from '../http/query.dto.js';
import type { IncidentResource } from '../projections/read-models.js';
import { ReadModelQuery } from '../reads/read-model.query.js';
import { CONFIG } from '../tokens.js';
import { ListIncidentsDto, ResolveIncidentDto, resolutionOf } from './incident.dto.js';

@ApiTags('incidents')
@Controller('incidents')
export class IncidentsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Get()
  list(@Query() query: ListIncidentsDto) {
    return this.queries.execute(
      new ReadModelQuery(
        {
          kind: 'incidents',
          page: pageOf(query),
          ...(query.state && { state: query.state }),
          ...(query.caseId && { caseId: query.caseId }),
          ...(query.kind && { incidentKind: query.kind }),
        },
        positionOf(query.waitFor),
      ),
    );
  }

  @Get(':id')
  get(@Param('id') id: string, @Query() query: WaitForDto) {
    return this.queries.execute(new ReadModelQuery({ kind: 'incident', id }, positionOf(query.waitFor)));
  }

  /** Admin only (no `@Roles`): settling an incident overrides what the net or an executor decided. */
  @Post(':id/resolve')
  @HttpCode(200)
  async resolve(@Param('id') id: string, @Body() body: ResolveIncidentDto) {
    const caseId = caseIdOf(id, 'incident');
    const resolution = resolutionOf(body);
    if (resolution.action === 'complete')
      assertDataWithin(resolution.output, 'output', this.config.maxDataBytes);
    const outcome = await this.commands.execute(
      new CaseCommandMessage({
        type: 'ResolveIncident',
        data: { caseId, incidentId: id, resolution, at: this.clock.iso() },
      }),
    );
    // A resolved incident leaves the case's state: its representation comes from the read model, once
    // that has caught up with the command.
    const incident = (await this.queries.execute(
      new ReadModelQuery({ kind: 'incident', id }, outcome.position),
    )) as IncidentResource;
    return { ...incident, position: outcome.position.toString() };
  }
}
