import type { ArgumentMetadata } from '@nestjs/common';
import { ValidationPipe } from '@nestjs/common';
import type { ValidationError as ClassValidationError } from 'class-validator';
import type { ValidationDetail } from '@wfnet/domain';
import { ValidationError } from '@wfnet/domain';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { restoreSetAside, shapeForValidation } from './dto-shape.js';

/**
 * Items of a list validated in one turn of the event loop. class-validator takes tens of microseconds an
 * item: a net at the node and arc bounds (12,000 items) held the loop for a few hundred milliseconds.
 */
const ITEMS_PER_TURN = 250;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The body's member a detail is about: `places` for `places[3].id`. */
const memberOf = (detail: ValidationDetail): string => /^[^.[]*/.exec(detail.path)![0];

/** `places[12].id` in a slice that starts at 500 is `places[512].id` in the body. */
function inBody(detail: ValidationDetail, list: string, offset: number): ValidationDetail {
  const prefix = `${list}[`;
  if (!detail.path.startsWith(prefix)) return detail;
  const close = detail.path.indexOf(']', prefix.length);
  const index = Number(detail.path.slice(prefix.length, close)) + offset;
  return { ...detail, path: `${prefix}${index}${detail.path.slice(close)}` };
}

function detailsOf(
  errors: readonly ClassValidationError[],
  prefix = '',
): { path: string; message: string }[] {
  return errors.flatMap((error) => {
    const path = prefix
      ? /^\d+$/.test(error.property)
        ? `${prefix}[${error.property}]`
        : `${prefix}.${error.property}`
      : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ path, message }));
    return [...own, ...detailsOf(error.children ?? [], path)];
  });
}

/**
 * class-validator over the DTOs, members not declared dropped, `400 validation_failed` with a detail per
 * rule broken. A body is shaped first (see `shapeForValidation`), so that free-form JSON members reach the
 * handler as they came without class-transformer walking them.
 */
export class DtoValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      exceptionFactory: (errors) =>
        new ValidationError('validation_failed', 'the request is not valid', detailsOf(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype } = metadata;
    if (metadata.type !== 'body' || metatype === undefined) return super.transform(value, metadata);
    const { shaped, setAside } = shapeForValidation(value, metatype);
    const long = isObject(shaped)
      ? Object.keys(shaped).filter(
          (name) => Array.isArray(shaped[name]) && shaped[name].length > ITEMS_PER_TURN,
        )
      : [];
    const instance: unknown =
      long.length === 0
        ? await super.transform(shaped, metadata)
        : await this.transformInTurns(shaped as Record<string, unknown>, long, metadata);
    restoreSetAside(instance, setAside);
    return instance;
  }

  /**
   * The body without its long lists, then each long list a slice at a time with the rest of the body, a turn
   * of the event loop each. The details are those of one validation of the whole: in the order of the body's
   * members, each once, with the indices of the whole lists.
   */
  private async transformInTurns(
    shaped: Record<string, unknown>,
    long: readonly string[],
    metadata: ArgumentMetadata,
  ): Promise<unknown> {
    const head = { ...shaped, ...Object.fromEntries(long.map((name) => [name, []])) };
    const details: ValidationDetail[] = [];
    const validated = async (body: object): Promise<Record<string, unknown> | undefined> => {
      try {
        return (await super.transform(body, metadata)) as Record<string, unknown>;
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return void details.push(...error.details);
      }
    };
    const instance = await validated(head);
    for (const name of long) {
      const list = shaped[name] as readonly unknown[];
      const items: unknown[] = [];
      for (let start = 0; start < list.length; start += ITEMS_PER_TURN) {
        await nextTurn();
        const before = details.length;
        const part = await validated({ ...head, [name]: list.slice(start, start + ITEMS_PER_TURN) });
        // The head's own details come again with every slice: only the list's are kept.
        const found = details.splice(before).filter((detail) => memberOf(detail) === name);
        details.push(...found.map((detail) => inBody(detail, name, start)));
        items.push(...((part?.[name] as unknown[] | undefined) ?? []));
      }
      if (instance) instance[name] = items;
    }
    if (details.length > 0) {
      const order = Object.keys(shaped);
      const member = (detail: ValidationDetail): number => order.indexOf(memberOf(detail));
      const unique = [
        ...new Map(details.map((detail) => [`${detail.path}\n${detail.message}`, detail])).values(),
      ];
      throw new ValidationError(
        'validation_failed',
        'the request is not valid',
        unique.sort((a, b) => member(a) - member(b)),
      );
    }
    return instance;
  }
}
