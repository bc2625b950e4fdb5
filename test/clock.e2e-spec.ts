import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ErrorBody } from './http/client.js';
import { createClient } from './http/client.js';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';
import { singleManual } from './http/nets.js';
import { createCase, defineWorkflow, workitemOf } from './http/resources.js';

interface ClockBody {
  readonly now: string;
  readonly mode: 'system' | 'manual';
}

const KEYS = 'admin-key:admin,worker-key:worker,reader-key:reader';

describe('the manual clock (WFNET_CLOCK=manual)', () => {
  let service: Service;
  const admin = () => createClient(service.url, 'admin-key');

  beforeAll(async () => {
    service = await startService('sqlite', { env: { WFNET_CLOCK: 'manual', WFNET_API_KEYS: KEYS } });
    await defineWorkflow(admin(), singleManual());
  });

  afterAll(() => service.stop());

  it('stands still, and every command records its time, until an admin moves it', async () => {
    const before = await admin().get<ClockBody>('/admin/clock');
    expect(before.body.mode).toBe('manual');
    const created = await createCase(admin(), 'single-manual');
    const workitem = await workitemOf(admin(), created.id, 'review');

    const moved = await admin().post<ClockBody>('/admin/clock', { advance: 'PT48H' });
    expect(moved.status).toBe(200);
    expect(Date.parse(moved.body.now) - Date.parse(before.body.now)).toBe(48 * 3600 * 1000);
    expect((await admin().post(`/workitems/${workitem.id}/complete`, { output: 'ok' })).status).toBe(200);

    const history = await admin().get<{ type: string; data: { at: string } }[]>(
      `/cases/${created.id}/events`,
    );
    const at = (type: string) => history.body.find((e) => e.type === type)?.data.at;
    expect(at('CaseCreated')).toBe(before.body.now);
    expect(at('TaskCompleted')).toBe(moved.body.now);

    const set = await admin().post<ClockBody>('/admin/clock', { set: '2030-01-01T00:00:00Z' });
    expect(set.body).toEqual({ now: '2030-01-01T00:00:00.000Z', mode: 'manual' });
    expect((await createClient(service.url, 'reader-key').get<ClockBody>('/admin/clock')).body.now).toBe(
      '2030-01-01T00:00:00.000Z',
    );
  });

  it('refuses a bad move with 400 and stays where it was', async () => {
    const before = (await admin().get<ClockBody>('/admin/clock')).body.now;
    for (const body of [{ advance: 'PT-1H' }, { set: 'tomorrow' }, {}, { advance: 'PT1H', set: before }]) {
      const reply = await admin().post<ErrorBody>('/admin/clock', body);
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('validation_failed');
    }
    expect((await admin().get<ClockBody>('/admin/clock')).body.now).toBe(before);
  });

  it('is moved by admins only', async () => {
    const reply = await createClient(service.url, 'worker-key').post<ErrorBody>('/admin/clock', {
      advance: 'PT1H',
    });
    expect(reply.status).toBe(403);
  });
});

describe('the system clock', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory');
  });

  afterAll(() => service.stop());

  it('shows the machine time and cannot be moved (404)', async () => {
    const before = Date.now();
    const shown = await service.api.get<ClockBody>('/admin/clock');
    expect(shown.body.mode).toBe('system');
    expect(Date.parse(shown.body.now)).toBeGreaterThanOrEqual(before - 1);
    const moved = await service.api.post<ErrorBody>('/admin/clock', { advance: 'PT1H' });
    expect(moved.status).toBe(404);
    expect(moved.body.code).toBe('not_found');
  });
});
