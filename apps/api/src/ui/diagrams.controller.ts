import type { OnApplicationShutdown } from '@nestjs/common';
import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { QueryBus } from '@nestjs/cqrs';
import type { Config } from '../config/config.js';
import { CaseAtRevisionQuery } from '../cases/case.messages.js';
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
    @Inject(CONFIG) config: Config,
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
