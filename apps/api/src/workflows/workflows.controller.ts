import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { SoundnessReport, WorkflowDefinition, WorkflowState } from '@wfnet/domain';
import { NotFoundError, ValidationError, assertValidNet, normalizeWorkflow } from '@wfnet/domain';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { ReadModelQuery } from '../reads/read-model.query.js';
import { WorkflowCommandMessage } from './workflow.messages.js';
import { CelConditions } from '../conditions/cel.js';
import { ServiceTiming } from '../clock/timing.js';
import { ExecutorRegistry } from '../executors/executor-registry.js';
import { positionOf } from '../http/ids.js';
import { Clock } from '../clock/clock.js';
import { AcceptsXml, XML_TYPES } from '../http/content-type.guard.js';
import { HttpError } from '../http/error.filter.js';
import { assertNetWithin } from '../http/limits.js';
import { CONFIG } from '../tokens.js';
import type { Config } from '../config/config.js';
import { WaitForDto, pageOf } from '../http/query.dto.js';
import type { WorkflowResource } from '../projections/read-models.js';
import { outputSchemaProblems } from '../forms/output-schemas.js';
import { PnmlBodyInterceptor } from './pnml-body.interceptor.js';
import { toPnml } from './pnml.js';
import { verifyOffThread } from './verification.js';
import type { Verification, VerificationLimits } from './verification.js';
import {
  CreateWorkflowDto,
  ListWorkflowsDto,
  MAX_ERROR_TYPE_LENGTH,
  MAX_NON_RETRYABLE_TYPES,
} from './workflow.dto.js';

export const workflowRepresentation = (
  state: Exclude<WorkflowState, { status: 'none' }>,
  position: bigint,
) => ({
  ...state.definition,
  state: state.status,
  createdAt: state.createdAt,
  updatedAt: state.updatedAt,
  ...(state.soundness && { soundness: state.soundness }),
  position: position.toString(),
});

/** The report to store with a workflow that is not proven sound; `400 unsound_net` unless that is allowed. */
function soundnessToStore(
  definition: WorkflowDefinition,
  { report, timedOut }: Verification,
  limits: VerificationLimits,
  allowUnsound: boolean,
): SoundnessReport | undefined {
  if (report.sound === true) return undefined;
  if (allowUnsound) return report;
  const counts: [number, string][] = [
    [report.deadlocks.length, 'deadlock'],
    [report.improperCompletions.length, 'improper completion'],
    [report.livelocks.length, 'livelock'],
    [report.unboundedPlaces.length, 'unbounded place'],
    [report.deadTransitions.length, 'dead transition'],
  ];
  const problems = counts
    .filter(([count]) => count > 0)
    .map(([count, what]) => `${count} ${what}${count > 1 ? 's' : ''}`);
  const why =
    report.sound === false
      ? `is not sound (${problems.join(', ') || 'see details'})`
      : timedOut
        ? `could not be proven sound within ${limits.timeoutMs} ms (WFNET_VERIFY_TIMEOUT_MS)`
        : `could not be proven sound within ${report.statesExplored} markings`;
  throw new HttpError(
    400,
    'unsound_net',
    `workflow ${definition.id} ${why}; send "allowUnsound": true to store it anyway`,
    report,
  );
}

/** `retry.nonRetryableErrorTypes`: at most 100 strings of at most 200 characters each. */
function assertErrorTypes(definition: WorkflowDefinition): void {
  const details = definition.transitions.flatMap((transition, index) => {
    const types: unknown = transition.retry?.nonRetryableErrorTypes;
    const path = `transitions[${index}].retry.nonRetryableErrorTypes`;
    if (!Array.isArray(types)) return [];
    if (types.length > MAX_NON_RETRYABLE_TYPES) {
      return [{ path, message: `at most ${MAX_NON_RETRYABLE_TYPES} error types, got ${types.length}` }];
    }
    return types.flatMap((type: unknown, i) =>
      typeof type === 'string' && type.length <= MAX_ERROR_TYPE_LENGTH
        ? []
        : [
            {
              path: `${path}[${i}]`,
              message: `an error type is a string of at most ${MAX_ERROR_TYPE_LENGTH} characters`,
            },
          ],
    );
  });
  if (details.length > 0) {
    throw new ValidationError(
      'validation_failed',
      `workflow ${definition.id} has retry policies that are not valid`,
      details,
    );
  }
}

/** Output schemas the validator can use, within the size bounds (`invalid_net`, rule `output_schema_invalid`). */
function assertOutputSchemas(definition: WorkflowDefinition): void {
  const details = outputSchemaProblems(definition);
  if (details.length > 0) {
    throw new ValidationError(
      'invalid_net',
      `workflow ${definition.id} has output schemas that cannot be used`,
      details,
    );
  }
}

@ApiTags('workflows')
@Controller('workflows')
export class WorkflowsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly clock: Clock,
    private readonly executors: ExecutorRegistry,
    private readonly conditions: CelConditions,
    private readonly timing: ServiceTiming,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  private get verificationLimits(): VerificationLimits {
    return { timeoutMs: this.config.verifyTimeoutMs, maxHeapMb: this.config.verifyMaxHeapMb };
  }

  private assertSize(body: CreateWorkflowDto): void {
    assertNetWithin(body, { maxNodes: this.config.maxNetNodes, maxArcs: this.config.maxNetArcs });
  }

  @Post()
  @UseInterceptors(PnmlBodyInterceptor)
  @AcceptsXml()
  async create(@Body() body: CreateWorkflowDto, @Res({ passthrough: true }) response: Response) {
    this.assertSize(body);
    const definition = normalizeWorkflow({ ...body, id: body.id ?? randomUUID() });
    this.assertExecutorsKnown(definition);
    this.assertExecutorParams(definition);
    assertErrorTypes(definition);
    // The net's rules with its conditions, before the (costlier) verification; the decider checks them again.
    assertValidNet(definition, { conditions: this.conditions, timing: this.timing });
    assertOutputSchemas(definition);
    const limits = this.verificationLimits;
    const verification = await verifyOffThread(definition, limits);
    const soundness = soundnessToStore(definition, verification, limits, body.allowUnsound === true);
    const outcome = await this.commands.execute(
      new WorkflowCommandMessage({
        type: 'CreateWorkflow',
        data: { definition, at: this.clock.iso(), ...(soundness && { soundness }) },
      }),
    );
    response.status(outcome.appended > 0 ? 201 : 200);
    return workflowRepresentation(outcome.state, outcome.position);
  }

  /** The soundness report of a net, stored nowhere. Declared before the `:id` routes. */
  @Post('verify')
  @HttpCode(200)
  @UseInterceptors(PnmlBodyInterceptor)
  @AcceptsXml()
  @ApiOkResponse({ description: 'The soundness report' })
  async verify(@Body() body: CreateWorkflowDto): Promise<SoundnessReport & { timedOut?: true }> {
    this.assertSize(body);
    const definition = normalizeWorkflow({ ...body, id: body.id ?? 'unnamed' });
    assertValidNet(definition, { conditions: this.conditions, timing: this.timing });
    assertOutputSchemas(definition);
    const { report, timedOut } = await verifyOffThread(definition, this.verificationLimits);
    return timedOut ? { ...report, timedOut } : report;
  }

  @Get()
  list(@Query() query: ListWorkflowsDto) {
    return this.queries.execute(
      new ReadModelQuery(
        {
          kind: 'workflows',
          page: pageOf(query),
        },
        positionOf(query.waitFor),
      ),
    );
  }

  /** JSON, or PNML for `Accept: application/xml` or an id ending in `.pnml` that names no workflow itself. */
  @Get(':id')
  @ApiProduces('application/json', ...XML_TYPES)
  async get(
    @Param('id') id: string,
    @Query() query: WaitForDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const read = (workflowId: string) =>
      this.queries.execute<ReadModelQuery, WorkflowResource>(
        new ReadModelQuery({ kind: 'workflow', id: workflowId }, positionOf(query.waitFor)),
      );
    const pnml = (workflow: WorkflowResource): string => {
      response.type('application/xml');
      const { name, places, transitions, arcs, metadata, caseTimeout } = workflow;
      return toPnml({
        id: workflow.id,
        name,
        places,
        transitions,
        arcs,
        metadata,
        ...(caseTimeout !== undefined && { caseTimeout }),
      });
    };
    const wantsXml = XML_TYPES.includes(request.accepts(['application/json', ...XML_TYPES]) || '');
    try {
      const workflow = await read(id);
      return wantsXml ? pnml(workflow) : workflow;
    } catch (error) {
      if (!(error instanceof NotFoundError) || !id.endsWith('.pnml')) throw error;
      return pnml(await read(id.slice(0, -'.pnml'.length)));
    }
  }

  @Post(':id/discard')
  @HttpCode(200)
  async discard(@Param('id') id: string) {
    const outcome = await this.commands.execute(
      new WorkflowCommandMessage({ type: 'DiscardWorkflow', data: { workflowId: id, at: this.clock.iso() } }),
    );
    return workflowRepresentation(outcome.state, outcome.position);
  }

  private assertExecutorParams(definition: WorkflowDefinition): void {
    const details = definition.transitions.flatMap((transition, index) =>
      this.executors.paramsProblems(transition).map(({ path, message }) => ({
        path: `transitions[${index}].executorParams.${path}`,
        message,
      })),
    );
    if (details.length > 0) {
      throw new ValidationError(
        'validation_failed',
        `workflow ${definition.id} has executor parameters its executors cannot use`,
        details,
      );
    }
  }

  private assertExecutorsKnown(definition: WorkflowDefinition): void {
    const details = definition.transitions.flatMap((transition, index) =>
      this.executors.has(transition.executor)
        ? []
        : [
            {
              path: `transitions[${index}].executor`,
              message: `no executor named ${transition.executor} is registered (known: ${this.executors.names().join(', ')})`,
              rule: 'unknown_executor',
              ids: [transition.id],
            },
          ],
    );
    if (details.length > 0) {
      throw new ValidationError(
        'invalid_net',
        `workflow ${definition.id} names executors that are not registered`,
        details,
      );
    }
  }
}
