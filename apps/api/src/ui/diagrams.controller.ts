import type { OnApplicationShutdown } from '@nestjs/common';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { assertValidNet, normalizeWorkflow } from '@wfnet/domain';
import type { Response } from 'express';
import { QueryBus } from '@nestjs/cqrs';
import type { Config } from '../config/config.js';
import { CaseAtRevisionQuery } from '../cases/case.messages.js';
import { ServiceTiming } from '../clock/timing.js';
import { CelConditions } from '../conditions/cel.js';
import { AcceptsXml } from '../http/content-type.guard.js';
import { assertNetWithin } from '../http/limits.js';
import { PnmlBodyInterceptor } from '../workflows/pnml-body.interceptor.js';
import { CreateWorkflowDto } from '../workflows/workflow.dto.js';
import { WorkflowQuery } from '../workflows/workflow.messages.js';
import { CONFIG } from '../tokens.js';
import { caseOverlay, layoutNet, netSvg } from './diagram.js';
import { CaseDiagramDto, DiagramDto } from './diagram.dto.js';
import { stopLayoutThread } from './layout-worker.js';
import type { LayoutLimits } from './layout-worker.js';

const sendSvg = (response: Response, svg: string): void => {
  response.status(200).type('image/svg+xml; charset=utf-8').setHeader('cache-control', 'no-cache');
  response.send(svg);
};

/** Pictures of nets and cases: laid out by ELK, drawn as SVG. */
@ApiTags('pictures')
@Controller()
export class DiagramsController implements OnApplicationShutdown {
  private readonly limits: LayoutLimits;

  constructor(
    private readonly queries: QueryBus,
    private readonly conditions: CelConditions,
    private readonly timing: ServiceTiming,
    @Inject(CONFIG) private readonly config: Config,
  ) {
    this.limits = { timeoutMs: config.layoutTimeoutMs, maxHeapMb: config.layoutMaxHeapMb };
  }

  onApplicationShutdown(): Promise<void> {
    return stopLayoutThread();
  }

  @Get('workflows/:id/diagram.svg')
  @ApiProduces('image/svg+xml')
  @ApiOkResponse({
    description: 'The net, laid out: places as circles, transitions as boxes, arcs as arrows',
  })
  async workflow(
    @Param('id') id: string,
    @Query() query: DiagramDto,
    @Res() response: Response,
  ): Promise<void> {
    const { definition } = await this.queries.execute(new WorkflowQuery(id));
    sendSvg(response, netSvg(definition, await layoutNet(definition, query.direction, this.limits)));
  }

  /**
   * A net that is not stored (yet): the UI draws a definition before it is saved, to play the
   * counterexamples of its verification on it. Admin, like `POST /workflows/verify`; as bounded as the
   * stored nets' pictures (the same size limits, layout timeout and fallback).
   */
  @Post('workflows/diagram.svg')
  @HttpCode(200)
  @UseInterceptors(PnmlBodyInterceptor)
  @AcceptsXml()
  @ApiProduces('image/svg+xml')
  @ApiOkResponse({
    description:
      'The net of the body (JSON or PNML, as `POST /workflows` takes it), laid out; nothing is stored',
  })
  async draft(
    @Body() body: CreateWorkflowDto,
    @Query() query: DiagramDto,
    @Res() response: Response,
  ): Promise<void> {
    assertNetWithin(body, { maxNodes: this.config.maxNetNodes, maxArcs: this.config.maxNetArcs });
    const definition = normalizeWorkflow({ ...body, id: body.id ?? 'unnamed' });
    assertValidNet(definition, { conditions: this.conditions, timing: this.timing });
    sendSvg(response, netSvg(definition, await layoutNet(definition, query.direction, this.limits)));
  }

  @Get('cases/:id/diagram.svg')
  @ApiProduces('image/svg+xml')
  @ApiOkResponse({
    description:
      "The case's net with its tokens in their places, its transitions coloured by task state and the last route of each decision drawn",
  })
  async case(
    @Param('id') id: string,
    @Query() query: CaseDiagramDto,
    @Res() response: Response,
  ): Promise<void> {
    const at = await this.queries.execute(
      new CaseAtRevisionQuery(id, query.atRevision === undefined ? undefined : BigInt(query.atRevision)),
    );
    const { definition } = at.state;
    const layout = await layoutNet(definition, query.direction, this.limits);
    sendSvg(response, netSvg(definition, layout, caseOverlay(at.state, at.revision, at.routes)));
  }
}
