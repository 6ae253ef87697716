import type { ActivityDecls, WorkflowContext } from '../workflow/define.js';
import { InvalidCommandError, UnknownActivityError } from '../workflow/errors.js';
import type { Command } from './commands.js';
import type { CompiledDefinition } from './compiled-definition.js';
import { mulberry32, seedFor } from './deterministic-random.js';

const NO_COMMANDS: readonly Command[] = Object.freeze([]);

/**
 * The `ctx` handlers get. One object per engine, re-aimed at each event, so a replay of a
 * million events allocates no context objects. It records commands; it can execute nothing:
 * neither engine gives it a way to reach an activity implementation.
 */
export class HandlerContext implements WorkflowContext<ActivityDecls> {
  workflowId = '';
  seq = 0;
  private time = 0;
  private idHash = 0;
  private compiled: CompiledDefinition | undefined;
  private rngState = 0;
  private rngSeeded = false;
  private commands: Command[] | undefined;
  /** The error of the last handler that threw (set by runStep, cleared by begin). */
  lastError: unknown;

  /** Aims the context at one event before its handler runs. */
  begin(compiled: CompiledDefinition, workflowId: string, idHash: number, seq: number, time: number): void {
    this.compiled = compiled;
    this.workflowId = workflowId;
    this.idHash = idHash;
    this.seq = seq;
    this.time = time;
    this.rngSeeded = false;
    this.commands = undefined;
    this.lastError = undefined;
  }

  /** The commands issued since {@link begin}; the array belongs to the caller. */
  takeCommands(): readonly Command[] {
    const commands = this.commands ?? NO_COMMANDS;
    this.commands = undefined;
    return commands;
  }

  call(name: string, input: unknown): void {
    const compiled = this.compiled!;
    if (!Object.hasOwn(compiled.definition.activities, name)) throw new UnknownActivityError(compiled.name, String(name));
    this.push({ kind: 'call', name, input: input === undefined ? null : input });
  }

  sleep(ms: number, name = 'timer'): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new InvalidCommandError(`ctx.sleep: ms must be a finite number >= 0, got ${String(ms)}`);
    }
    if (typeof name !== 'string' || name.length === 0)
      throw new InvalidCommandError('ctx.sleep: name must be a non-empty string');
    this.push({ kind: 'sleep', name, ms });
  }

  complete(result: unknown = null): void {
    this.push({ kind: 'complete', result: result === undefined ? null : result });
  }

  fail(reason: string): void {
    if (typeof reason !== 'string') throw new InvalidCommandError('ctx.fail: reason must be a string');
    this.push({ kind: 'fail', reason });
  }

  now(): number {
    return this.time;
  }

  random(): number {
    if (!this.rngSeeded) {
      this.rngState = seedFor(this.idHash, this.seq);
      this.rngSeeded = true;
    }
    const [next, value] = mulberry32(this.rngState);
    this.rngState = next;
    return value;
  }

  private push(command: Command): void {
    if (this.commands === undefined) this.commands = [command];
    else this.commands.push(command);
  }
}
