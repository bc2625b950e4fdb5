import type { ArgumentMetadata } from '@nestjs/common';
import { ValidationPipe } from '@nestjs/common';
import type { ValidationError as ClassValidationError } from 'class-validator';
import { ValidationError } from '@wfnet/domain';
import { restoreSetAside, shapeForValidation } from './dto-shape.js';

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
    const instance: unknown = await super.transform(shaped, metadata);
    restoreSetAside(instance, setAside);
    return instance;
  }
}
