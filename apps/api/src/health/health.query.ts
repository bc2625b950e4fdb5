import { Query } from '@nestjs/cqrs';

/** Whether the service is ready: its store answers and the read models keep up with it. */
export class HealthQuery extends Query<Health> {}

export interface Health {
  readonly ready: boolean;
  readonly body: object;
}
