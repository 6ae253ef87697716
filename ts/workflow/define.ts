/**
 * `defineWorkflow`: a workflow's name, version, typed state schema, declared activities and pure,
 * synchronous handlers. Nothing here knows about engines; the engines read the definition.
 */
import { DefinitionError } from './errors.js';
import type { StateOf, StateSchema } from './fields.js';

/** Retry policy of an activity on the primary. */
export interface RetryPolicy {
  /** Total attempts including the first. Default 3. */
  readonly attempts?: number;
  /** Wait before the second attempt, in ms. Default 100. */
  readonly backoffMs?: number;
  /** Multiplier of the wait after each failed attempt. Default 2. */
  readonly factor?: number;
  /** Cap on a single wait. Default 10,000. */
  readonly maxBackoffMs?: number;
}

/** A declared activity: its input type `I`, result type `R`, and how the primary runs it. */
export interface ActivityDecl<I = unknown, R = unknown> {
  /** What the activity is expected to return for `input` (used by the predictive mirror). */
  readonly predict?: (input: I) => R;
  readonly retry?: RetryPolicy;
  /** Per-attempt timeout on the primary, in ms. None by default. */
  readonly timeoutMs?: number;
}

/** The activities a definition declares. */
// biome-ignore lint/suspicious/noExplicitAny: input/result types are inferred per activity
export type ActivityDecls = Readonly<Record<string, ActivityDecl<any, any>>>;

/** Input type of a declared activity. */
export type InputOf<D> = D extends ActivityDecl<infer I, infer _R> ? I : never;
/** Result type of a declared activity. */
export type ResultOf<D> = D extends ActivityDecl<infer _I, infer R> ? R : never;

/** Declares an activity with explicit input and result types. */
export function activity<I, R>(options: ActivityDecl<I, R> = {}): ActivityDecl<I, R> {
  return options;
}

/** What a handler can do besides changing state. Every method is deterministic. */
export interface WorkflowContext<A extends ActivityDecls> {
  readonly workflowId: string;
  /** Seq of the event being handled. */
  readonly seq: number;
  /** Schedules activity `name`; its outcome arrives as a completed or failed event. */
  call<K extends keyof A & string>(name: K, input: InputOf<A[K]>): void;
  /** Starts a timer; `on.timer[name]` runs when it fires. */
  sleep(ms: number, name?: string): void;
  /** Ends the workflow successfully. */
  complete(result?: unknown): void;
  /** Ends the workflow as failed. */
  fail(reason: string): void;
  /** The time of the event being handled (the same on replay). */
  now(): number;
  /** A number in [0, 1) seeded by the workflow id and seq (the same on replay). */
  random(): number;
}

/** The failure an activity's failed handler receives. */
export interface ActivityFailure {
  readonly error: string;
  readonly attempts: number;
}

/** The handler table. */
export interface Handlers<S extends StateSchema, A extends ActivityDecls, I> {
  start(state: StateOf<S>, input: I, ctx: WorkflowContext<A>): void;
  completed?: { readonly [K in keyof A]?: (state: StateOf<S>, result: ResultOf<A[K]>, ctx: WorkflowContext<A>) => void };
  /** Without a handler, a failed activity fails the workflow. */
  failed?: { readonly [K in keyof A]?: (state: StateOf<S>, failure: ActivityFailure, ctx: WorkflowContext<A>) => void };
  timer?: Readonly<Record<string, (state: StateOf<S>, ctx: WorkflowContext<A>) => void>>;
  signal?: Readonly<Record<string, (state: StateOf<S>, payload: unknown, ctx: WorkflowContext<A>) => void>>;
}

/**
 * Events after which a comparison of the instance is due at once, named `started`, `completed`,
 * `failed` (the workflow's), `<activity>.completed`, `<activity>.failed`, `timer.<name>`, `signal.<name>`.
 */
export type SignificantEvent = string;

/** What `defineWorkflow` takes. */
export interface WorkflowSpec<S extends StateSchema, A extends ActivityDecls, I> {
  readonly name: string;
  readonly version: number;
  readonly state: S;
  readonly activities?: A;
  readonly on: Handlers<S, NoInfer<A>, I>;
  /** Default: `completed` and `failed` (the final state is always compared). */
  readonly significant?: readonly SignificantEvent[];
}

/** A checked workflow definition. */
export interface WorkflowDefinition<S extends StateSchema = StateSchema, A extends ActivityDecls = ActivityDecls, I = unknown> {
  readonly name: string;
  readonly version: number;
  readonly state: S;
  readonly activities: A;
  readonly on: Handlers<S, A, I>;
  readonly significant: readonly SignificantEvent[];
}

/**
 * Any definition, whatever its types: what the engines take. The handler table is erased to
 * `object` because handlers are typed against their own schema and cannot be widened safely.
 */
export interface AnyWorkflowDefinition {
  readonly name: string;
  readonly version: number;
  readonly state: StateSchema;
  readonly activities: ActivityDecls;
  readonly on: object;
  readonly significant: readonly SignificantEvent[];
}

const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;

/** Checks a workflow spec and returns the definition both engines run. */
export function defineWorkflow<const S extends StateSchema, const A extends ActivityDecls = Record<never, never>, I = unknown>(
  spec: WorkflowSpec<S, A, I>,
): WorkflowDefinition<S, A, I> {
  if (typeof spec.name !== 'string' || !NAME_PATTERN.test(spec.name)) {
    throw new DefinitionError(`workflow name must match ${NAME_PATTERN}, got ${JSON.stringify(spec.name)}`);
  }
  if (!Number.isInteger(spec.version) || spec.version < 1) {
    throw new DefinitionError(`workflow "${spec.name}": version must be a positive integer, got ${String(spec.version)}`);
  }
  if (spec.state === null || typeof spec.state !== 'object' || Object.keys(spec.state).length === 0) {
    throw new DefinitionError(`workflow "${spec.name}": state must declare at least one field`);
  }
  if (typeof spec.on?.start !== 'function') {
    throw new DefinitionError(`workflow "${spec.name}": on.start must be a function`);
  }
  const activities = (spec.activities ?? {}) as A;
  for (const table of ['completed', 'failed'] as const) {
    for (const key of Object.keys(spec.on[table] ?? {})) {
      if (!(key in activities)) {
        throw new DefinitionError(`workflow "${spec.name}": on.${table}.${key} handles an activity that is not declared`);
      }
    }
  }
  return Object.freeze({
    name: spec.name,
    version: spec.version,
    state: spec.state,
    activities,
    on: spec.on as Handlers<S, A, I>,
    significant: Object.freeze([...(spec.significant ?? ['completed', 'failed'])]),
  });
}
