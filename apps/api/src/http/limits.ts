import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { afterLoopRound } from '../event-loop.js';
import { HttpError } from './error.filter.js';

/** Deeper bodies are refused before anything walks them recursively (class-transformer, the domain). */
export const MAX_JSON_DEPTH = 64;

/** Keys that mean nothing in a workflow's data but mean a prototype to careless JavaScript. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A value still to look at, and how it was reached: its path is spelled out only for a problem. */
interface Pending {
  readonly value: unknown;
  readonly parent: Pending | undefined;
  readonly key: string | number;
  readonly depth: number;
}

function pathOf(pending: Pending): string {
  const steps: string[] = [];
  for (let at: Pending | undefined = pending; at?.parent !== undefined; at = at.parent) {
    steps.push(typeof at.key === 'number' ? `[${at.key}]` : `.${at.key}`);
  }
  return steps.reverse().join('').replace(/^\./, '') || '(body)';
}

/** Numbers JSON.parse read as Infinity (1e400), and objects and arrays, are looked at; the rest is fine. */
const needsLook = (value: unknown): boolean =>
  (typeof value === 'object' && value !== null) || (typeof value === 'number' && !Number.isFinite(value));

/**
 * Why a JSON body may not be taken, or undefined when it may: nesting over `MAX_JSON_DEPTH`, a key
 * that could pollute a prototype, or a number JSON.parse could only read as Infinity. Iterative, so a
 * hostile depth cannot overflow the stack here, and linear in the body.
 */
export function jsonShapeProblem(body: unknown): { path: string; message: string } | undefined {
  const pending: Pending[] = [{ value: body, parent: undefined, key: '', depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, depth } = next;
    // JSON.parse reads 1e400 as Infinity, which would be stored as null: refused instead.
    if (typeof value === 'number' && !Number.isFinite(value)) {
      return { path: pathOf(next), message: 'is a number beyond the range of a double' };
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_JSON_DEPTH) {
      return { path: pathOf(next), message: `nests deeper than ${MAX_JSON_DEPTH} levels` };
    }
    if (Array.isArray(value)) {
      value.forEach((item: unknown, index) => {
        if (needsLook(item)) pending.push({ value: item, parent: next, key: index, depth: depth + 1 });
      });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        return {
          path: pathOf({ value: undefined, parent: next, key, depth }),
          message: `the key "${key}" is not allowed`,
        };
      }
      const item = (value as Record<string, unknown>)[key];
      if (needsLook(item)) pending.push({ value: item, parent: next, key, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Refuses bodies of a hostile shape with 400 before the validation pipe turns them into classes. */
@Injectable()
export class JsonShapeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const problem = jsonShapeProblem(context.switchToHttp().getRequest<Request>().body);
      if (problem) {
        throw new HttpError(400, 'validation_failed', `${problem.path} ${problem.message}`, [problem]);
      }
    }
    return next.handle();
  }
}

/** 413 when a JSON value (case data, a workitem output) takes more than `maxBytes` as JSON. */
export function assertDataWithin(value: unknown, path: string, maxBytes: number): void {
  const bytes = value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > maxBytes) {
    const message = `${path} takes ${bytes} bytes as JSON, at most ${maxBytes} allowed`;
    throw new HttpError(413, 'payload_too_large', message, [{ path, message }]);
  }
}

/** 413 when a net has more nodes (places and transitions) or arcs than configured. */
export function assertNetWithin(
  net: {
    readonly places: readonly unknown[];
    readonly transitions: readonly unknown[];
    readonly arcs: readonly unknown[];
  },
  limits: { readonly maxNodes: number; readonly maxArcs: number },
): void {
  const details: { path: string; message: string }[] = [];
  const nodes = net.places.length + net.transitions.length;
  if (nodes > limits.maxNodes) {
    details.push({
      path: 'places',
      message: `${nodes} places and transitions, at most ${limits.maxNodes} allowed`,
    });
  }
  if (net.arcs.length > limits.maxArcs) {
    details.push({ path: 'arcs', message: `${net.arcs.length} arcs, at most ${limits.maxArcs} allowed` });
  }
  if (details.length > 0) {
    throw new HttpError(
      413,
      'payload_too_large',
      `the net is too large: ${details.map((d) => d.message).join('; ')}`,
      details,
    );
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

// Seeded per process, so that a body cannot be made of names whose hashes collide on purpose.
const [SEED_A, SEED_B] = crypto.getRandomValues(new Uint32Array(2));

/** An object being read: the hashes of its keys so far, in order; or an array (`null`). */
interface Frame {
  hashA: number;
  hashB: number;
  expectsKey: boolean;
}

/**
 * How many object layouts a JSON text makes: each distinct sequence of keys from an object's first key on
 * (`{"a"}`, `{"a","b"}`, …) counts once, as V8 gives each its own hidden class when the text is parsed.
 * Those, not the bytes or the members, are what `JSON.parse` and every later encoding and decoding of the
 * value pay for: 1 MiB of 90,000 distinct keys parses in 70-120 ms, 1 MiB of records that share their
 * keys in 10. Read without parsing, in one pass, and stops once `max` is passed (answering `max + 1`).
 */
export function jsonLayoutCount(text: Uint8Array, max: number): number {
  const layouts = new Set<number>();
  const frames: (Frame | null)[] = [];
  let top: Frame | null = null;
  for (let at = 0; at < text.length; at++) {
    const byte = text[at]!;
    if (byte === QUOTE) {
      // A string: hashed only when it is a key (FNV-1a, twice with different seeds).
      let hashA = SEED_A! ^ 0x811c9dc5;
      let hashB = SEED_B! ^ 0x01000193;
      for (at++; at < text.length && text[at] !== QUOTE; at++) {
        if (text[at] === BACKSLASH) at++;
        hashA = Math.imul(hashA ^ text[at]!, 0x01000193);
        hashB = Math.imul(hashB ^ text[at]!, 0x5bd1e995);
      }
      if (top?.expectsKey) {
        top.hashA = Math.imul(top.hashA ^ hashA, 0x01000193) ^ (top.hashA >>> 15);
        top.hashB = Math.imul(top.hashB ^ hashB, 0x5bd1e995) ^ (top.hashB >>> 13);
        top.expectsKey = false;
        layouts.add((top.hashA >>> 0) * 0x200000 + (top.hashB >>> 11));
        if (layouts.size > max) return layouts.size;
      }
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      frames.push(top);
      top = byte === OPEN_OBJECT ? { hashA: SEED_A!, hashB: SEED_B!, expectsKey: true } : null;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      top = frames.pop() ?? null;
    } else if (byte === COMMA && top !== null) {
      top.expectsKey = true;
    }
  }
  return layouts.size;
}

/**
 * 413 when a JSON text makes more than `maxLayouts` object layouts (see `jsonLayoutCount`): checked before
 * it is parsed, this bounds what the text can cost every step that parses or encodes it.
 */
export function assertLayoutsWithin(text: Uint8Array, maxLayouts: number, what: string): void {
  const layouts = jsonLayoutCount(text, maxLayouts);
  if (layouts > maxLayouts) {
    throw new HttpError(
      413,
      'payload_too_large',
      `${what} has more than ${maxLayouts} distinct object layouts (an object's keys in their order: each new key name, or new order of keys, makes one), at most ${maxLayouts} allowed (WFNET_MAX_BODY_LAYOUTS)`,
    );
  }
}

/** A body past which its parsing is worth letting other requests run before it is handled. */
const LARGE_BODY_BYTES = 64 * 1024;

/**
 * Express middleware, after the body parsers: parsing a large body and handling it are one long stretch of
 * the event loop otherwise, for Nest's pipeline runs on in promise callbacks.
 */
export function yieldAfterLargeBody(request: Request, _response: Response, next: () => void): void {
  if (Number(request.headers['content-length'] ?? 0) > LARGE_BODY_BYTES) afterLoopRound(next);
  else next();
}
