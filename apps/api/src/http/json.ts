import type { ValidationArguments, ValidationOptions } from 'class-validator';
import { registerDecorator } from 'class-validator';

/** Any JSON value that arrived in a body (anything but `undefined`). */
export function IsJson(options?: ValidationOptions) {
  return (target: object, propertyName: string): void => {
    registerDecorator({
      name: 'isJson',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be a JSON value`, ...options },
      validator: { validate: (value: unknown, _args: ValidationArguments) => value !== undefined },
    });
  };
}

/** A JSON object (not an array, not null). */
export function IsJsonObject(options?: ValidationOptions) {
  return (target: object, propertyName: string): void => {
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
