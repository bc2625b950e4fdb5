import { QueryHandler } from '@nestjs/cqrs';
import type { IQueryHandler } from '@nestjs/cqrs';
import { ReadModelRunner, ReadModels } from '../projections/index.js';
import { ReadModelQuery } from './read-model.query.js';

/** Answers the contract's reads from the read models, after `waitFor` when asked, else once they settle. */
@QueryHandler(ReadModelQuery)
export class ReadModelQueryHandler implements IQueryHandler<ReadModelQuery, unknown> {
  constructor(
    private readonly models: ReadModels,
    private readonly runner: ReadModelRunner,
  ) {}

  async execute({ request, waitFor }: ReadModelQuery): Promise<unknown> {
    await (waitFor === undefined ? this.runner.settled() : this.runner.waitFor(waitFor));
    const models = this.models;
    switch (request.kind) {
      case 'workflow':
        return models.getWorkflow(request.id);
      case 'workflows':
        return models.listWorkflows(request.page);
      case 'case':
        return models.getCase(request.id);
      case 'cases': {
        const { page, kind: _, ...filter } = request;
        return models.listCases({ ...page, ...filter });
      }
      case 'caseTokens':
        return models.getCaseTokens(request.caseId, request.after);
      case 'caseTasks':
        return models.getCaseTasks(request.caseId);
      case 'caseTimers':
        return models.timersOfCase(request.caseId);
      case 'task':
        return models.getTask(request.id);
      case 'workitem':
        return models.getWorkitem(request.id);
      case 'workitems': {
        const { page, kind: _, ...filter } = request;
        return models.listWorkitems({ ...page, ...filter });
      }
      case 'incident':
        return models.getIncident(request.id);
      case 'incidents': {
        const { page, state, caseId, incidentKind } = request;
        return models.listIncidents({ ...page, state, caseId, kind: incidentKind });
      }
    }
  }
}
