import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Roles } from '../http/auth.guard.js';
import { HttpError } from '../http/error.filter.js';
import { Caller } from '../http/identity.js';
import type { Identity } from '../http/identity.js';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Actor } from '@wfnet/domain';
import { CaseCommandMessage } from '../cases/case.messages.js';
import { ReadModelQuery } from '../reads/read-model.query.js';
import { CONFIG } from '../tokens.js';
import type { Config } from '../config/config.js';
import { assertDataWithin } from '../http/limits.js';
import { caseIdOf, positionOf } from '../http/ids.js';
import { Clock } from '../clock/clock.js';
import { ListWorkitemsDto, WaitForDto, pageOf } from '../http/query.dto.js';
import { tokenRepresentation } from '../cases/representation.js';
import { CompleteWorkitemDto } from './workitem.dto.js';
import { CompleteWorkitemMessage } from './workitem.messages.js';
import { workitemRepresentation } from './representation.js';

/** Who a person's command acts as: admins may set the people rules aside (the domain records it). */
const actorOf = ({ user, groups, role }: Identity): Actor => ({ user, groups, admin: role === 'admin' });

@ApiTags('workitems')
@Controller('workitems')
export class WorkitemsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Get()
  list(@Query() query: ListWorkitemsDto, @Caller() caller: Identity) {
    const claimedBy = query.claimedBy === 'me' ? caller.user : query.claimedBy;
    if (claimedBy !== undefined && claimedBy !== caller.user && caller.role !== 'admin') {
      throw new HttpError(403, 'forbidden', `only an admin may list the workitems claimed by ${claimedBy}`);
    }
    return this.queries.execute(
      new ReadModelQuery(
        {
          kind: 'workitems',
          page: pageOf(query),
          ...(query.state && { state: query.state }),
          ...(query.caseId && { caseId: query.caseId }),
          ...(query.transitionId && { transitionId: query.transitionId }),
          ...(query.executor && { executor: query.executor }),
          ...(claimedBy !== undefined && { claimedBy }),
          ...(query.candidate && { candidate: { user: caller.user, groups: caller.groups } }),
        },
        positionOf(query.waitFor),
      ),
    );
  }

  @Get(':id')
  get(@Param('id') id: string, @Query() query: WaitForDto) {
    return this.queries.execute(new ReadModelQuery({ kind: 'workitem', id }, positionOf(query.waitFor)));
  }

  @Roles('worker')
  @Post(':id/preexecute')
  @HttpCode(200)
  async preexecute(@Param('id') id: string, @Caller() caller: Identity) {
    const caseId = caseIdOf(id, 'workitem');
    const outcome = await this.commands.execute(
      new CaseCommandMessage({
        type: 'PreexecuteTask',
        data: { caseId, workitemId: id, actor: actorOf(caller), at: this.clock.iso() },
      }),
    );
    return {
      tokens: outcome.lockedTokens.map((token) => tokenRepresentation(caseId, token)),
      position: outcome.position.toString(),
    };
  }

  @Roles('worker')
  @Post(':id/complete')
  @HttpCode(200)
  async complete(@Param('id') id: string, @Body() body: CompleteWorkitemDto, @Caller() caller: Identity) {
    const caseId = caseIdOf(id, 'workitem');
    assertDataWithin(body.output, 'output', this.config.maxDataBytes);
    const outcome = await this.commands.execute(
      new CompleteWorkitemMessage({
        type: 'CompleteWorkitem',
        data: {
          caseId,
          workitemId: id,
          output: body.output === undefined ? null : body.output,
          actor: actorOf(caller),
          at: this.clock.iso(),
        },
      }),
    );
    return {
      ...workitemRepresentation(caseId, outcome.workitem, outcome.attempts, caller.user),
      position: outcome.position.toString(),
    };
  }

  @Roles('worker')
  @Post(':id/abandon')
  @HttpCode(200)
  async abandon(@Param('id') id: string, @Caller() caller: Identity) {
    return this.onWorkitem('AbandonWorkitem', id, caller);
  }

  @Roles('worker')
  @Post(':id/claim')
  @HttpCode(200)
  @ApiOkResponse({
    description:
      'The workitem, claimed by the caller. 409 workitem_claimed when someone else holds it (an admin takes it over), 403 not_a_candidate when the caller is not one of its candidates, 409 workitem_not_available when it has ended.',
  })
  async claim(@Param('id') id: string, @Caller() caller: Identity) {
    return this.onWorkitem('ClaimWorkitem', id, caller);
  }

  @Roles('worker')
  @Post(':id/release')
  @HttpCode(200)
  @ApiOkResponse({
    description:
      'The workitem, unclaimed. Only its claimer or an admin may release it (else 409 workitem_claimed); an unclaimed open workitem is answered as it is; 409 workitem_not_available when it has ended.',
  })
  async release(@Param('id') id: string, @Caller() caller: Identity) {
    return this.onWorkitem('ReleaseWorkitem', id, caller);
  }

  private async onWorkitem(
    type: 'AbandonWorkitem' | 'ClaimWorkitem' | 'ReleaseWorkitem',
    id: string,
    caller: Identity,
  ) {
    const caseId = caseIdOf(id, 'workitem');
    const outcome = await this.commands.execute(
      new CaseCommandMessage({
        type,
        data: { caseId, workitemId: id, actor: actorOf(caller), at: this.clock.iso() },
      }),
    );
    return {
      ...workitemRepresentation(caseId, outcome.workitem, outcome.attempts),
      position: outcome.position.toString(),
    };
  }
}
