/**
 * Payloads must survive a trip through JSON unchanged (the SQLite log stores them as text, and the
 * memory log must behave the same), so they are checked and copied in one walk at append time.
 */
import type { Json } from './events.js';

/** Deeper than this is refused: it guards the recursive walks (ours and readers') against stack overflow. */
export const MAX_JSON_DEPTH = 256;

/**
 * Thrown by {@link copyJson}; callers turn it into their own error with context. `path` is relative
 * to the walked value, e.g. `.items[2]` (empty for the value itself).
 */
export class NotJsonError extends Error {
  readonly path: string;
  readonly problem: string;

  constructor(path: string, problem: string) {
    super(`${path} ${problem}`);
    this.path = path;
    this.problem = problem;
  }
}

/**
 * Returns a deeply frozen copy of `value` if it is plain JSON, throws {@link NotJsonError} otherwise.
 * Refused: undefined, functions, symbols, bigints, NaN/Infinity (JSON cannot carry them), class
 * instances (Date, Map, ...: JSON would silently turn them into something else), cycles and sparse
 * arrays. Copying makes the stored event independent of the caller's objects, and freezing lets
 * every reader share it without copying again.
 */
export function copyJson(value: unknown): Json {
  return walkJson(value, copy);
}

/**
 * Checks `value` exactly as {@link copyJson} does, but freezes it in place instead of copying:
 * for callers that hand the value over to the log (see `AppendOptions.owned`). Saves the copy's
 * allocations, which on a durable pipeline were a fifth of the engines' time.
 */
export function adoptJson(value: unknown): Json {
  // Most payloads are small, valid and unfrozen: a check without path or ancestor bookkeeping
  // (about a fifth of the walk's cost) settles them; anything else takes the full walk, which
  // finds the exact path of a problem (or copies what cannot be kept as is).
  switch (quickCheck(value, 0)) {
    case QUICK_ADOPT:
      return deepFreezeJson(value as Json);
    case QUICK_COPY:
      return walkJson(value, copy);
    default:
      return walkJson(value, adopt);
  }
}

const QUICK_ADOPT = 0;
const QUICK_COPY = 1;
const QUICK_UNSURE = 2;

/**
 * The fast half of {@link adoptJson}: QUICK_ADOPT when `value` is JSON that can be frozen as it
 * is, QUICK_COPY when it holds a -0 or an object someone else froze, QUICK_UNSURE when it may not
 * be JSON at all (the full walk then decides and names the problem). A cycle runs into the depth
 * limit and comes back unsure, so the full walk reports it as a cycle.
 */
function quickCheck(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return QUICK_ADOPT;
    case 'number':
      if (!Number.isFinite(value)) return QUICK_UNSURE;
      return value === 0 && 1 / value < 0 ? QUICK_COPY : QUICK_ADOPT;
    case 'object': {
      if (value === null) return QUICK_ADOPT;
      if (depth >= MAX_JSON_DEPTH) return QUICK_UNSURE;
      let verdict = Object.isFrozen(value) ? QUICK_COPY : QUICK_ADOPT;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const v = quickCheck(value[i], depth + 1);
          if (v === QUICK_UNSURE) return QUICK_UNSURE;
          if (v === QUICK_COPY) verdict = QUICK_COPY;
        }
        return verdict;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return QUICK_UNSURE;
      const record = value as Record<string, unknown>;
      for (const key in record) {
        const v = quickCheck(record[key], depth + 1);
        if (v === QUICK_UNSURE) return QUICK_UNSURE;
        if (v === QUICK_COPY) verdict = QUICK_COPY;
      }
      return verdict;
    }
    default:
      return QUICK_UNSURE;
  }
}

type Walk = (value: unknown, path: (string | number)[], ancestors: object[]) => Json;

/** Runs a walk with its path and ancestor stacks, turning a problem into a NotJsonError with the path. */
function walkJson(value: unknown, walk: Walk): Json {
  // The walk's two stacks are reused across calls (this runs for every appended event); a nested
  // call, possible only from a getter inside the value, gets its own.
  const reuse = !walking;
  const path = reuse ? sharedPath : [];
  const ancestors = reuse ? sharedAncestors : [];
  walking = true;
  try {
    return walk(value, path, ancestors);
  } catch (e) {
    if (e instanceof PathlessProblem) throw new NotJsonError(formatPath(path), e.problem);
    throw e;
  } finally {
    if (reuse) {
      walking = false;
      sharedPath.length = 0;
      sharedAncestors.length = 0;
    }
  }
}

/** Frozen in place only once the whole value is known to be JSON: a refused value is left as it was. */
function adopt(value: unknown, path: (string | number)[], ancestors: object[]): Json {
  if (adoptable(value, path, ancestors)) return deepFreezeJson(value as Json);
  path.length = 0;
  ancestors.length = 0;
  return copy(value, path, ancestors);
}

const sharedPath: (string | number)[] = [];
const sharedAncestors: object[] = [];
let walking = false;

/** Freezes a freshly decoded JSON value in place (decoded rows are shared like appended ones). */
export function deepFreezeJson(value: Json): Json {
  if (typeof value === 'object' && value !== null) {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) deepFreezeJson(value[i] as Json);
    } else {
      for (const key in value) deepFreezeJson(value[key] as Json);
    }
    Object.freeze(value);
  }
  return value;
}

/** Internal: thrown at the bad value; `path` (kept by the walk) says where it is. */
class PathlessProblem {
  constructor(readonly problem: string) {}
}

function copy(value: unknown, path: (string | number)[], ancestors: object[]): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new PathlessProblem(`must be a finite number (JSON cannot carry ${value})`);
      // -0 would come back from JSON as 0; normalize so every log returns the same value.
      return value === 0 ? 0 : value;
    case 'object':
      if (value === null) return null;
      return copyObject(value, path, ancestors);
    case 'undefined':
      throw new PathlessProblem('must not be undefined (JSON cannot carry it; use null)');
    default:
      throw new PathlessProblem(`must be JSON, not a ${typeof value}`);
  }
}

/**
 * Checks a value for {@link adoptJson} without changing it. Returns true when it can be frozen in
 * place as it is; false when it holds a -0 (JSON gives 0 back) or an object frozen by someone else
 * (it cannot be normalised in place), and the caller should copy instead.
 */
function adoptable(value: unknown, path: (string | number)[], ancestors: object[]): boolean {
  if (typeof value !== 'object' || value === null) {
    copy(value, path, ancestors); // checks primitives, throws for what JSON cannot carry
    return !Object.is(value, -0);
  }
  if (ancestors.includes(value)) throw new PathlessProblem('refers back to an enclosing value (a cycle cannot be JSON)');
  if (ancestors.length >= MAX_JSON_DEPTH) throw new PathlessProblem(`is nested deeper than ${MAX_JSON_DEPTH} levels`);
  let ok = !Object.isFrozen(value);
  ancestors.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      if (!adoptable(value[i], path, ancestors)) ok = false;
      path.pop();
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      throw new PathlessProblem(
        `must be a plain object, array or primitive, not ${typeof name === 'string' ? name : 'a class instance'}`,
      );
    }
    const record = value as Record<string, unknown>;
    // for-in rather than Object.keys: no array per object. A plain object's prototype (checked
    // above) has no enumerable properties, so for-in sees exactly the own enumerable keys.
    for (const key in record) {
      path.push(key);
      if (!adoptable(record[key], path, ancestors)) ok = false;
      path.pop();
    }
  }
  ancestors.pop();
  return ok;
}

function copyObject(value: object, path: (string | number)[], ancestors: object[]): Json {
  if (ancestors.includes(value)) throw new PathlessProblem('refers back to an enclosing value (a cycle cannot be JSON)');
  if (ancestors.length >= MAX_JSON_DEPTH) throw new PathlessProblem(`is nested deeper than ${MAX_JSON_DEPTH} levels`);
  ancestors.push(value);
  let out: Json;
  if (Array.isArray(value)) {
    const arr: Json[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      // A hole reads as undefined and is refused there, like an explicit undefined.
      arr[i] = copy(value[i], path, ancestors);
      path.pop();
    }
    out = arr;
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      throw new PathlessProblem(
        `must be a plain object, array or primitive, not ${typeof name === 'string' ? name : 'a class instance'}`,
      );
    }
    const obj: { [key: string]: Json } = {};
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      path.push(key);
      const v = copy(record[key], path, ancestors);
      // Plain assignment of "__proto__" would set the prototype and drop the data; JSON.parse makes it an own property.
      if (key === '__proto__')
        Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
      else obj[key] = v;
      path.pop();
    }
    out = obj;
  }
  ancestors.pop();
  Object.freeze(out);
  return out;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function formatPath(path: readonly (string | number)[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : IDENTIFIER.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`;
  return s;
}
