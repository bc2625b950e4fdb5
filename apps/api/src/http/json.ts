import type { ValidationArguments, ValidationOptions } from 'class-validator';
import { registerDecorator } from 'class-validator';
import { markFreeJson } from './dto-shape.js';

/** Any JSON value that arrived in a body (anything but `undefined`), handed on as it came. */
export function IsJson(options?: ValidationOptions) {
  return (target: object, propertyName: string): void => {
    markFreeJson(target, propertyName);
    registerDecorator({
      name: 'isJson',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be a JSON value`, ...options },
      validator: { validate: (value: unknown, _args: ValidationArguments) => value !== undefined },
    });
  };
}

/** A JSON object (not an array, not null), handed on as it came. */
export function IsJsonObject(options?: ValidationOptions) {
  return (target: object, propertyName: string): void => {
    markFreeJson(target, propertyName);
    registerDecorator({
      name: 'isJsonObject',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be a JSON object`, ...options },
      validator: {
        validate: (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value),
      },
    });
  };
}
