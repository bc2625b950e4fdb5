import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Roles } from '../http/auth.guard.js';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import {
  CaseAtRevisionQuery,
  CaseCommandMessage,
  CaseHistoryQuery,
  FollowCaseQuery,
  StartCaseMessage,
} from './case.messages.js';
import { ReadModelQuery } from '../reads/read-model.query.js';
import { CONFIG } from '../tokens.js';
import type { Config } from '../config/config.js';
import { assertDataWithin } from '../http/limits.js';
import { HttpError } from '../http/error.filter.js';
import { assertId, positionOf } from '../http/ids.js';
import { Clock } from '../clock/clock.js';
import { ListWorkitemsDto, WaitForDto, pageOf } from '../http/query.dto.js';
import { CreateCaseDto, GetCaseDto, HistoryDto, ListCasesDto, TokenTableDto } from './case.dto.js';
import type { Page, TokenResource } from '../projections/read-models.js';
import { caseRepresentation } from './representation.js';
import { streamCaseEvents } from './case-events.stream.js';
import { EventStreamLimit } from './event-stream-limit.js';

const historyItem = (event: {
  revision: bigint;
  position: bigint;
  type: string;
  data: unknown;
  recordedAt: string;
}) => ({
  revision: event.revision.toString(),
  position: event.position.toString(),
  type: event.type,
  data: event.data,
  recordedAt: event.recordedAt,
});

@ApiTags('cases')
@Controller('cases')
export class CasesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly clock: Clock,
    private readonly streams: EventStreamLimit,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Roles('worker')
  @Post()
  async create(@Body() body: CreateCaseDto) {
    if (body.id !== undefined) assertId(body.id, 'id');
    assertDataWithin(body.data, 'data', this.config.maxDataBytes);
    const outcome = await this.commands.execute(
      new StartCaseMessage(
        body.id ?? randomUUID(),
        body.workflowId,
        body.data === undefined ? {} : body.data,
        this.clock.iso(),
      ),
    );
    return caseRepresentation(outcome.state, outcome.position);
  }

  @Get()
  @ApiOkResponse({
    description:
      '`{items, next}` in creation order, newest first with `order=desc`; with `total=true` also `total`, the number of cases matching the filter',
  })
  list(@Query() query: ListCasesDto) {
    return this.queries.execute(
      new ReadModelQuery(
        {
          kind: 'cases',
          page: pageOf(query),
          ...(query.workflowId && { workflowId: query.workflowId }),
          ...(query.state && { state: query.state }),
          ...(query.order && { order: query.order }),
          ...(query.total === 'true' && { total: true }),
        },
        positionOf(query.waitFor),
      ),
    );
  }

  @Get(':id')
  async get(@Param('id') id: string, @Query() query: GetCaseDto) {
    if (query.atRevision !== undefined) {
      // The past comes from the case's own stream, not from a read model: waitFor does not apply.
      const past = await this.queries.execute(new CaseAtRevisionQuery(id, BigInt(query.atRevision)));
      return { ...caseRepresentation(past.state, past.position), revision: past.revision.toString() };
    }
    return this.queries.execute(new ReadModelQuery({ kind: 'case', id }, positionOf(query.waitFor)));
  }

  @Post(':id/terminate')
  @HttpCode(200)
  async terminate(@Param('id') id: string) {
    const outcome = await this.commands.execute(
      new CaseCommandMessage({ type: 'TerminateCase', data: { caseId: id, at: this.clock.iso() } }),
    );
    return caseRepresentation(outcome.state, outcome.position);
  }

  @Get(':id/tokens')
  @ApiOkResponse({
    description: 'The token table, whole unless it takes more than WFNET_MAX_PAGE_BYTES of JSON',
    headers: {
      Link: {
        description: 'While tokens follow the page: `</cases/{id}/tokens?after=<cursor>>; rel="next"`',
        schema: { type: 'string' },
      },
    },
  })
  async tokens(
    @Param('id') id: string,
    @Query() query: TokenTableDto,
    @Res({ passthrough: true }) response: Response,
  ) {
    const page = await this.queries.execute<ReadModelQuery, Page<TokenResource>>(
      new ReadModelQuery(
        { kind: 'caseTokens', caseId: id, ...(query.after && { after: query.after }) },
        positionOf(query.waitFor),
      ),
    );
    if (page.next !== null) {
      const next = `/cases/${encodeURIComponent(id)}/tokens?after=${encodeURIComponent(page.next)}`;
      response.setHeader('link', `<${next}>; rel="next"`);
    }
    return page.items;
  }

  @Get(':id/tasks')
  tasks(@Param('id') id: string, @Query() query: WaitForDto) {
    return this.queries.execute(
      new ReadModelQuery({ kind: 'caseTasks', caseId: id }, positionOf(query.waitFor)),
    );
  }

  @Get(':id/timers')
  @ApiOkResponse({
    description:
      "The case's timers in the order they were scheduled: {id, kind, dueAt, state: pending | fired | cancelled, taskId, workitemId, scheduledAt, firedAt, cancelledAt}",
  })
  timers(@Param('id') id: string, @Query() query: WaitForDto) {
    return this.queries.execute(
      new ReadModelQuery({ kind: 'caseTimers', caseId: id }, positionOf(query.waitFor)),
    );
  }

  @Get(':id/workitems')
  async workitems(@Param('id') id: string, @Query() query: ListWorkitemsDto) {
    await this.queries.execute(new ReadModelQuery({ kind: 'case', id }, positionOf(query.waitFor)));
    return this.queries.execute(
      new ReadModelQuery({
        kind: 'workitems',
        page: pageOf(query),
        caseId: id,
        ...(query.state && { state: query.state }),
        ...(query.transitionId && { transitionId: query.transitionId }),
        ...(query.executor && { executor: query.executor }),
      }),
    );
  }

  @Get(':id/events')
  @ApiOkResponse({
    description: 'The history, oldest first, a page of at most `limit` events',
    headers: {
      Link: {
        description:
          'While events follow the page: `</cases/{id}/events?after=<revision>&limit=<limit>>; rel="next"`',
        schema: { type: 'string' },
      },
    },
  })
  async events(
    @Param('id') id: string,
    @Query() query: HistoryDto,
    @Res({ passthrough: true }) response: Response,
  ) {
    if (query.after !== undefined && query.fromRevision !== undefined) {
      throw new HttpError(400, 'validation_failed', 'give after or fromRevision, not both', [
        { path: 'after', message: 'cannot be given with fromRevision' },
      ]);
    }
    const from = query.after === undefined ? BigInt(query.fromRevision ?? '0') : BigInt(query.after) + 1n;
    const limit = query.limit ?? 1000;
    // One more than asked tells whether another page follows.
    const events = await this.queries.execute(new CaseHistoryQuery(id, from, limit + 1));
    const page = jsonListWithin(events.slice(0, limit).map(historyItem), this.config.maxPageBytes);
    const last = events[page.count - 1];
    if (events.length > page.count && last) {
      // The body stays the contract's plain list: the cursor travels in the header.
      const next = `/cases/${encodeURIComponent(id)}/events?after=${last.revision}&limit=${limit}`;
      response.setHeader('link', `<${next}>; rel="next"`);
    }
    response.type('application/json');
    return page.json;
  }

  @Get(':id/events/stream')
  async stream(@Param('id') id: string, @Req() request: Request, @Res() response: Response) {
    const release = this.streams.acquire(request);
    try {
      const follow = await this.queries.execute(new FollowCaseQuery(id));
      await streamCaseEvents(follow, request, response, historyItem);
    } finally {
      release();
    }
  }
}

/**
 * The JSON list of the first items that fit in `maxBytes`, and always the first: a page of large events
 * ends early. Each item is encoded once, for the measure and the body alike.
 */
function jsonListWithin(items: readonly unknown[], maxBytes: number): { json: string; count: number } {
  const encoded: string[] = [];
  let bytes = 0;
  for (const item of items) {
    const json = JSON.stringify(item);
    bytes += json.length;
    if (encoded.length > 0 && bytes > maxBytes) break;
    encoded.push(json);
  }
  return { json: `[${encoded.join(',')}]`, count: encoded.length };
}
