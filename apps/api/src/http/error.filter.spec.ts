import { describe, expect, it } from '@jest/globals';
import { NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import {
  ConcurrencyError,
  IllegalStateError,
  NotFoundError,
  NotPermittedError,
  StoreUnavailableError,
  ValidationError,
} from '@wfnet/domain';
import { ProjectionLaggingError } from '../projections/read-model-runner.js';
import { HttpError, errorBody } from './error.filter.js';

describe('the error body of every failure', () => {
  it.each([
    ['a validation error', new ValidationError('validation_failed', 'bad'), 400, 'validation_failed'],
    [
      'an invalid net',
      new ValidationError('invalid_net', 'bad net', [{ path: 'arcs[0]', message: 'x' }]),
      400,
      'invalid_net',
    ],
    ['a missing entity', new NotFoundError('case', 'c1'), 404, 'not_found'],
    [
      'a refused command',
      new IllegalStateError('tokens_not_available', 'taken'),
      409,
      'tokens_not_available',
    ],
    [
      'a claim held by someone else',
      new IllegalStateError('workitem_claimed', 'claimed'),
      409,
      'workitem_claimed',
    ],
    [
      'a caller who is not a candidate',
      new NotPermittedError('not_a_candidate', 'no'),
      403,
      'not_a_candidate',
    ],
    ['four eyes', new NotPermittedError('separation_of_duties', 'no'), 403, 'separation_of_duties'],
    ['a conflict after the retries', new ConcurrencyError('case-c1', '3', '4'), 409, 'concurrency_conflict'],
    ['an unreachable store', new StoreUnavailableError('down'), 503, 'store_unavailable'],
    ['lagging read models', new ProjectionLaggingError(10n, 5n, 'waited'), 503, 'projection_lagging'],
    ['an HTTP-level refusal', new HttpError(401, 'unauthorized', 'key please'), 401, 'unauthorized'],
    ['an unknown route', new NotFoundException(), 404, 'not_found'],
    ['an over-large body', new PayloadTooLargeException(), 413, 'payload_too_large'],
    [
      'a body-parser limit',
      Object.assign(new Error('too large'), { type: 'entity.too.large' }),
      413,
      'payload_too_large',
    ],
    [
      'malformed JSON',
      Object.assign(new SyntaxError('x'), { type: 'entity.parse.failed' }),
      400,
      'validation_failed',
    ],
  ])('maps %s to its status and code', (_what, error, statusCode, code) => {
    const body = errorBody(error);
    expect(body).toMatchObject({ statusCode, code });
    expect(typeof body.message).toBe('string');
  });

  it('keeps the details of a validation error', () => {
    const details = [{ path: 'places', message: 'must be an array' }];
    expect(errorBody(new ValidationError('validation_failed', 'bad', details)).details).toEqual(details);
  });

  it('keeps the message of a refusal to the caller', () => {
    expect(errorBody(new NotPermittedError('not_a_candidate', 'ann may not complete w1'))).toEqual({
      statusCode: 403,
      code: 'not_a_candidate',
      message: 'ann may not complete w1',
    });
  });

  it('answers an unforeseen error with 500 and no internals', () => {
    const body = errorBody(new TypeError('cannot read properties of undefined (secret path /srv/x)'));
    expect(body).toEqual({ statusCode: 500, code: 'internal_error', message: 'internal error' });
  });
});
