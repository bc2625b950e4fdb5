import { describe, expect, it } from '@jest/globals';
import type { LogLevel } from '../config/config.js';
import { createLogging } from './json-logger.js';

function capture(level: LogLevel = 'trace') {
  let output = '';
  const { logger } = createLogging(level, { write: (line: string) => (output += line) });
  const lines = () =>
    output
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}

describe('the Nest logger writing JSON lines', () => {
  it('maps Nest’s levels to pino’s and takes the context from the last parameter', () => {
    const { logger, lines } = capture();
    logger.verbose('v', 'engine');
    logger.debug('d', 'engine');
    logger.log('l', 'engine');
    logger.warn('w', 'engine');
    logger.fatal('f', undefined, 'engine');

    expect(lines().map(({ level, msg, context }) => [level, msg, context])).toEqual([
      ['trace', 'v', 'engine'],
      ['debug', 'd', 'engine'],
      ['info', 'l', 'engine'],
      ['warn', 'w', 'engine'],
      ['fatal', 'f', 'engine'],
    ]);
  });

  it('keeps the stack of an error, given as Nest gives it or as an Error', () => {
    const { logger, lines } = capture();
    const error = new TypeError('boom');
    logger.error('it failed', error.stack, 'http');
    logger.error('no stack, no context', undefined);
    logger.error(error, undefined, 'ExceptionHandler');

    const [withStack, bare, thrown] = lines();
    expect(withStack).toMatchObject({ level: 'error', msg: 'it failed', context: 'http' });
    expect(withStack?.['stack']).toMatch(/TypeError: boom\n\s+at /);
    expect(bare).toEqual(expect.objectContaining({ msg: 'no stack, no context' }));
    expect(bare).not.toHaveProperty('context');
    expect(thrown).toMatchObject({
      context: 'ExceptionHandler',
      msg: 'boom',
      err: { type: 'TypeError', message: 'boom', stack: expect.stringMatching(/\n\s+at /) },
    });
  });

  it('writes the fields of an object message as fields', () => {
    const { logger, lines } = capture();
    logger.warn({ requestId: 'r-1', code: 'store_unavailable', msg: 'down' }, 'http');

    expect(lines()[0]).toMatchObject({
      level: 'warn',
      context: 'http',
      requestId: 'r-1',
      code: 'store_unavailable',
      msg: 'down',
    });
  });

  it('redacts authorization headers and keys wherever a caller puts them', () => {
    const { logger, lines } = capture();
    logger.log({ headers: { authorization: 'Bearer k-1', cookie: 'c' }, apiKey: 'k-2', msg: 'oops' }, 'http');

    expect(JSON.stringify(lines())).not.toMatch(/k-1|k-2|"c"/);
  });

  it('follows app.useLogger([...]): the most verbose level named, or nothing', () => {
    const { logger, lines } = capture('info');
    logger.setLogLevels(['error', 'warn']);
    logger.log('hidden', 'x');
    logger.warn('shown', 'x');
    logger.setLogLevels([]);
    logger.error('hidden too', undefined, 'x');
    logger.setLogLevels(['verbose']);
    logger.verbose('shown too', 'x');

    expect(lines().map(({ msg }) => msg)).toEqual(['shown', 'shown too']);
  });

  it('writes nothing when silent', () => {
    const { logger, lines } = capture('silent');
    logger.fatal('nothing', undefined, 'x');
    expect(lines()).toEqual([]);
  });
});
