import { Type } from 'class-transformer';
import { IsArray, IsObject, ValidateNested, getMetadataStorage } from 'class-validator';

type Constructor = abstract new (...args: never[]) => unknown;

/** How a DTO member is walked before validation: as any JSON (kept as sent), or as one or a list of another DTO. */
type Member = { readonly kind: 'json' } | { readonly kind: 'one' | 'list'; readonly of: () => Constructor };

const members = new WeakMap<object, Map<string, Member>>();

function mark(target: object, propertyName: string, member: Member): void {
  const own = members.get(target.constructor) ?? new Map<string, Member>();
  own.set(propertyName, member);
  members.set(target.constructor, own);
}

/** Marks a member whose value is free-form JSON: validated for its kind only, and handed on as it came. */
export function markFreeJson(target: object, propertyName: string): void {
  mark(target, propertyName, { kind: 'json' });
}

/** An array of `of()` DTOs, each validated as one. */
export function ListOf(of: () => Constructor) {
  return (target: object, propertyName: string): void => {
    IsArray()(target, propertyName);
    ValidateNested({ each: true })(target, propertyName);
    Type(of)(target, propertyName);
    mark(target, propertyName, { kind: 'list', of });
  };
}

/** One `of()` DTO (an object), validated as one. */
export function OneOf(of: () => Constructor) {
  return (target: object, propertyName: string): void => {
    IsObject()(target, propertyName);
    ValidateNested()(target, propertyName);
    Type(of)(target, propertyName);
    mark(target, propertyName, { kind: 'one', of });
  };
}

/** The members a DTO class declares (its own and inherited), as the validation pipe's whitelist knows them. */
function declaredMembers(dto: Constructor): ReadonlyMap<string, Member | undefined> {
  const declared = new Map<string, Member | undefined>();
  for (const { propertyName } of getMetadataStorage().getTargetValidationMetadatas(dto, '', false, false)) {
    declared.set(propertyName, undefined);
  }
  for (let type: unknown = dto; typeof type === 'function'; type = Object.getPrototypeOf(type)) {
    for (const [name, member] of members.get(type) ?? []) if (!declared.get(name)) declared.set(name, member);
  }
  return declared;
}

const shapes = new WeakMap<Constructor, ReadonlyMap<string, Member | undefined>>();

function membersOf(dto: Constructor): ReadonlyMap<string, Member | undefined> {
  let declared = shapes.get(dto);
  if (!declared) {
    declared = declaredMembers(dto);
    shapes.set(dto, declared);
  }
  return declared;
}

/** A value set aside before validation, and where it goes back afterwards. */
export interface SetAside {
  readonly path: readonly (string | number)[];
  readonly value: unknown;
}

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

/**
 * The body as the validation pipe should see it, so that its work is bounded by the DTO's shape rather than
 * by what a caller sends. class-transformer walks every object it is given and de-duplicates each one's keys
 * with `indexOf` (quadratic in the keys): one case `data` of 90,000 keys held the event loop for seconds.
 * So only declared members are kept (the whitelist drops the others anyway), and every object or array
 * that is not a list of DTOs is replaced by an empty one of the same kind: the validators of such members
 * check only the kind (a JSON object, any JSON, a string), so they answer alike. The originals are in
 * `setAside`, to put back on the validated instance.
 */
export function shapeForValidation(
  body: unknown,
  dto: Constructor,
): { readonly shaped: unknown; readonly setAside: readonly SetAside[] } {
  const setAside: SetAside[] = [];
  const standIn = (value: unknown, path: (string | number)[]): unknown => {
    if (!isObject(value)) return value;
    setAside.push({ path, value });
    return Array.isArray(value) ? [] : {};
  };
  const shapeObject = (value: object, type: Constructor, path: (string | number)[]): object => {
    const shaped: Record<string, unknown> = {};
    for (const [name, member] of membersOf(type)) {
      if (!Object.hasOwn(value, name)) continue;
      const item = (value as Record<string, unknown>)[name];
      if (member?.kind === 'list' && Array.isArray(item))
        shaped[name] = shapeList(item, member.of(), [...path, name]);
      else if (member?.kind === 'one' && isObject(item) && !Array.isArray(item))
        shaped[name] = shapeObject(item, member.of(), [...path, name]);
      else shaped[name] = standIn(item, [...path, name]);
    }
    return shaped;
  };
  // As class-transformer builds nested DTOs: an array's items each as the type, arrays within arrays too.
  const shapeList = (list: readonly unknown[], type: Constructor, path: (string | number)[]): unknown[] =>
    list.map((item, index) => {
      if (Array.isArray(item)) return shapeList(item, type, [...path, index]);
      return isObject(item) ? shapeObject(item, type, [...path, index]) : item;
    });
  if (Array.isArray(body)) return { shaped: standIn(body, []), setAside };
  return { shaped: isObject(body) ? shapeObject(body, dto, []) : body, setAside };
}

/** Puts the values `shapeForValidation` set aside back into the validated instance. */
export function restoreSetAside(instance: unknown, setAside: readonly SetAside[]): void {
  for (const { path, value } of setAside) {
    let holder: unknown = instance;
    for (const step of path.slice(0, -1))
      holder = isObject(holder) ? (holder as Record<string, unknown>)[step] : undefined;
    const last = path.at(-1);
    if (isObject(holder) && last !== undefined) (holder as Record<string | number, unknown>)[last] = value;
  }
}
