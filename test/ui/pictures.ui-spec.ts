import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CaseBody, Service, WorkitemBody } from './service.js';
import { READER_KEY, approvalNet, parallelNet, startService, until } from './service.js';

let service: Service;

const count = (text: string, pattern: RegExp): number => text.match(pattern)?.length ?? 0;

/** The `<g>` element of one node of a diagram, opening tag only: where its data attributes are. */
function node(svg: string, kind: 'place' | 'transition', id: string): string {
  const tag = new RegExp(`<g [^>]*data-${kind}="${id}"[^>]*>`).exec(svg)?.[0];
  if (!tag) throw new Error(`no ${kind} ${id} in the diagram`);
  return tag;
}

const waitingWorkitems = (caseId: string) =>
  until(
    () => service.call<{ items: WorkitemBody[] }>('GET', `/cases/${caseId}/workitems`),
    (reply) => reply.body.items.filter((w) => w.state === 'started').length === 2,
  );

beforeAll(async () => {
  service = await startService();
  expect((await service.call('POST', '/workflows', approvalNet())).status).toBe(201);
  expect((await service.call('POST', '/workflows', parallelNet())).status).toBe(201);
}, 30_000);

afterAll(() => service.stop());

describe('GET /workflows/:id/diagram.svg', () => {
  it('draws every place, transition and arc of the approval net as SVG', async () => {
    const { status, type, text } = await service.fetchText('/workflows/approval/diagram.svg');
    expect(status).toBe(200);
    expect(type).toMatch(/^image\/svg\+xml/);
    expect(text).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    for (const place of ['start', 'submitted', 'end']) expect(text).toContain(`data-place="${place}"`);
    for (const transition of ['submit', 'approve', 'reject'])
      expect(text).toContain(`data-transition="${transition}"`);
    expect(count(text, /<circle class="ring"/g)).toBe(3);
    expect(count(text, /<rect class="box"/g)).toBe(3);
    expect(count(text, /class="arc"/g)).toBe(6);
    expect(count(text, /marker-end="url\(#wfnet-arrow\)"/g)).toBe(6);
    expect(node(text, 'place', 'start')).toContain('data-place-type="start"');
    expect(node(text, 'place', 'end')).toContain('data-place-type="end"');
    // A picture of the net alone has no tokens and no task states.
    expect(text).not.toContain('data-token-state');
    expect(text).not.toContain('data-task-state');
  });

  it('marks and-splits and and-joins on their transitions', async () => {
    const { text } = await service.fetchText('/workflows/parallel/diagram.svg');
    expect(node(text, 'transition', 'split')).toContain('data-split="and"');
    expect(node(text, 'transition', 'join')).toContain('data-join="and"');
    expect(node(text, 'transition', 'work-left')).toContain('data-join="none" data-split="none"');
    expect(count(text, /class="and-split"/g)).toBe(1);
    expect(count(text, /class="and-join"/g)).toBe(1);
  });

  it('answers 404 not_found for an unknown workflow', async () => {
    const reply = await service.call('GET', '/workflows/nope/diagram.svg');
    expect(reply.status).toBe(404);
    expect(reply.body.code).toBe('not_found');
  });

  it('needs a key like every other read', async () => {
    expect((await service.fetchText('/workflows/approval/diagram.svg', null)).status).toBe(401);
    expect((await service.fetchText('/workflows/approval/diagram.svg', READER_KEY)).status).toBe(200);
  });
});

describe('a case in pictures and in the past', () => {
  interface HistoryItem {
    readonly revision: string;
    readonly type: string;
    readonly data: { readonly state?: string };
  }
  let revisions: HistoryItem[];

  beforeAll(async () => {
    expect((await service.call('POST', '/cases', { workflowId: 'approval', id: 'pic-1' })).status).toBe(201);
    const waiting = await waitingWorkitems('pic-1');
    const approve = waiting.body.items.find((w) => w.transitionId === 'approve')!;
    const done = await service.call('POST', `/workitems/${approve.id}/complete`, { output: { by: 'ann' } });
    expect(done.status).toBe(200);
    revisions = (await service.call<HistoryItem[]>('GET', '/cases/pic-1/events')).body;
  }, 30_000);

  const revisionsOf = (type: string, state?: string): number[] =>
    revisions
      .filter((event) => event.type === type && (state === undefined || event.data.state === state))
      .map((event) => Number(event.revision));
  const revisionOf = (type: string): number => revisionsOf(type)[0]!;
  const lastRevisionOf = (type: string, state?: string): number => revisionsOf(type, state).at(-1)!;

  it('draws the finished case with its token at the end and the competitor abandoned', async () => {
    const { status, type, text } = await service.fetchText('/cases/pic-1/diagram.svg');
    expect(status).toBe(200);
    expect(type).toMatch(/^image\/svg\+xml/);
    expect(text).toContain('data-case="pic-1" data-case-state="finished"');
    expect(text).toContain(`data-revision="${revisions.length - 1}"`);
    expect(node(text, 'place', 'end')).toContain('data-free="0" data-locked="0" data-done="1"');
    expect(node(text, 'place', 'submitted')).toContain('data-free="0" data-locked="0" data-done="0"');
    expect(node(text, 'transition', 'submit')).toContain('data-task-state="completed" data-live="false"');
    expect(node(text, 'transition', 'approve')).toContain('data-task-state="completed"');
    expect(node(text, 'transition', 'reject')).toContain('data-task-state="abandoned"');
    expect(count(text, /data-token-state="done"/g)).toBe(1);
  });

  it('draws the case as it was after revision N with ?atRevision=N', async () => {
    const genesis = revisionOf('TokensIssued');
    const atStart = (await service.fetchText(`/cases/pic-1/diagram.svg?atRevision=${genesis}`)).text;
    expect(atStart).toContain(`data-revision="${genesis}"`);
    expect(atStart).toContain('data-case-state="created"');
    expect(node(atStart, 'place', 'start')).toContain('data-free="1" data-locked="0"');
    expect(node(atStart, 'transition', 'submit')).toContain('data-task-state="none"');

    // Both reviewers hold a live task on the token in `submitted`, before anyone acts.
    const waiting = lastRevisionOf('WorkitemUpdated', 'started');
    expect(revisionsOf('WorkitemUpdated', 'started').length).toBeGreaterThanOrEqual(2);
    const choice = (await service.fetchText(`/cases/pic-1/diagram.svg?atRevision=${waiting}`)).text;
    expect(node(choice, 'place', 'submitted')).toContain('data-free="1" data-locked="0"');
    expect(node(choice, 'transition', 'approve')).toContain('data-task-state="allocated" data-live="true"');
    expect(node(choice, 'transition', 'reject')).toContain('data-task-state="allocated" data-live="true"');
    expect(node(choice, 'place', 'end')).toContain('data-done="0"');

    // Completing approve locks the token first: drawn locked, not free.
    const locked = lastRevisionOf('TokensLocked');
    const lockedSvg = (await service.fetchText(`/cases/pic-1/diagram.svg?atRevision=${locked}`)).text;
    expect(node(lockedSvg, 'place', 'submitted')).toContain('data-free="0" data-locked="1"');
    expect(node(lockedSvg, 'transition', 'approve')).toContain('data-task-state="executing"');
    expect(count(lockedSvg, /data-token-state="locked"/g)).toBe(1);
  });

  it('answers the case as it was with GET /cases/:id?atRevision=N', async () => {
    const genesis = revisionOf('TokensIssued');
    const past = await service.call<CaseBody>('GET', `/cases/pic-1?atRevision=${genesis}`);
    expect(past.status).toBe(200);
    expect(past.body).toMatchObject({
      id: 'pic-1',
      workflowId: 'approval',
      state: 'created',
      marking: { start: 1 },
      revision: String(genesis),
    });
    expect(past.body.position).toMatch(/^[0-9]+$/);

    const created = await service.call<CaseBody>('GET', '/cases/pic-1?atRevision=0');
    expect(created.body).toMatchObject({ state: 'created', marking: {}, revision: '0' });

    const waiting = await service.call<CaseBody>(
      'GET',
      `/cases/pic-1?atRevision=${revisionOf('CaseActivated')}`,
    );
    expect(waiting.body.state).toBe('active');

    const last = revisions.length - 1;
    const now = await service.call<CaseBody>('GET', `/cases/pic-1?atRevision=${last}`);
    expect(now.body).toMatchObject({ state: 'finished', marking: {}, revision: String(last) });
  });

  it('refuses a revision past the end with 400 and a bad one with 400, and an unknown case with 404', async () => {
    const past = await service.call('GET', `/cases/pic-1?atRevision=${revisions.length}`);
    expect(past.status).toBe(400);
    expect(past.body.code).toBe('validation_failed');
    expect(past.body.message).toContain(`its last is ${revisions.length - 1}`);
    expect((await service.call('GET', '/cases/pic-1?atRevision=-1')).status).toBe(400);
    expect((await service.call('GET', '/cases/pic-1?atRevision=two')).status).toBe(400);
    expect(
      (await service.call('GET', `/cases/pic-1/diagram.svg?atRevision=${revisions.length}`)).status,
    ).toBe(400);
    expect((await service.call('GET', '/cases/nobody?atRevision=0')).body.code).toBe('not_found');
    expect((await service.call('GET', '/cases/nobody/diagram.svg')).status).toBe(404);
  });
});

describe('GET / and the UI files', () => {
  it('serves the UI without a key, with a content security policy', async () => {
    const response = await fetch(`${service.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-[^']+'/);
    const text = await response.text();
    expect(text).toContain('<script type="module" src="ui/app.js"></script>');
  });

  it('serves its modules and the vendored Preact as JavaScript', async () => {
    for (const path of [
      '/ui/app.js',
      '/ui/api.js',
      '/ui/vendor/preact.mjs',
      '/ui/vendor/hooks.mjs',
      '/ui/vendor/htm.mjs',
    ]) {
      const { status, type } = await service.fetchText(path, null);
      expect([path, status, type]).toEqual([path, 200, 'text/javascript; charset=utf-8']);
    }
  });

  it('answers 304 to a matching ETag and 404 to unknown files', async () => {
    const first = await fetch(`${service.url}/ui/style.css`);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${service.url}/ui/style.css`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect((await service.fetchText('/ui/nothing.js', null)).status).toBe(404);
    expect((await service.fetchText('/ui/vendor/react.js', null)).status).toBe(404);
  });
});
