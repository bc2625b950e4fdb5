import { afterAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBalancer } from './balancer.js';
import type { Balancer } from './balancer.js';

/** A stand-in api process: answers its name and the body it got; `/events` streams until told to end. */
async function processNamed(name: string): Promise<{ url: string; server: Server; end: () => void }> {
  let endStream = (): void => undefined;
  const server = createServer((request, response) => {
    if (request.url === '/events') {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(`data: ${name} first\n\n`);
      endStream = () => response.end(`data: ${name} last\n\n`);
      return;
    }
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      response.writeHead(201, { 'content-type': 'application/json', 'x-process': name });
      response.end(JSON.stringify({ name, method: request.method, url: request.url, body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, end: () => endStream() };
}

/** A port nothing listens on: a process that is down. */
async function closedPort(): Promise<string> {
  const { url, server } = await processNamed('gone');
  await new Promise((resolve) => server.close(resolve));
  return url;
}

const opened: { close(): Promise<void> }[] = [];
afterAll(() => Promise.all(opened.map((x) => x.close())));

async function balance(backends: string[]): Promise<Balancer> {
  const balancer = await startBalancer(backends, 0);
  opened.push(balancer);
  return balancer;
}

describe('the balancer of `npm run cluster`', () => {
  it('sends requests to the processes in turn, with their method, path, body and answer', async () => {
    const one = await processNamed('one');
    const two = await processNamed('two');
    opened.push(
      { close: () => new Promise((r) => one.server.close(() => r())) },
      { close: () => new Promise((r) => two.server.close(() => r())) },
    );
    const balancer = await balance([one.url, two.url]);

    const answers: { name: string; method: string; url: string; body: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${balancer.url}/cases?n=${i}`, { method: 'POST', body: `{"n":${i}}` });
      expect(response.status).toBe(201);
      answers.push((await response.json()) as (typeof answers)[number]);
    }

    expect(answers.map((a) => a.name)).toEqual(['one', 'two', 'one', 'two']);
    expect(answers[3]).toEqual({ name: 'two', method: 'POST', url: '/cases?n=3', body: '{"n":3}' });
  });

  it('passes over a process that refuses the connection, and answers 502 when every one does', async () => {
    const up = await processNamed('up');
    opened.push({ close: () => new Promise((r) => up.server.close(() => r())) });
    const balancer = await balance([await closedPort(), up.url]);

    const names = [];
    for (let i = 0; i < 3; i++)
      names.push(((await (await fetch(balancer.url)).json()) as { name: string }).name);
    expect(names).toEqual(['up', 'up', 'up']);

    const allDown = await balance([await closedPort(), await closedPort()]);
    const refused = await fetch(allDown.url);
    expect(refused.status).toBe(502);
    expect(await refused.json()).toMatchObject({ statusCode: 502, code: 'no_process_available' });
  });

  it('streams an answer as it comes (Server-Sent Events)', async () => {
    const streaming = await processNamed('streaming');
    opened.push({ close: () => new Promise((r) => streaming.server.close(() => r())) });
    const balancer = await balance([streaming.url]);

    const response = await fetch(`${balancer.url}/events`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe('data: streaming first\n\n');

    streaming.end();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('data: streaming last\n\n');
  });
});
