/** Commands are what handlers ask for, as data: the primary executes them, the mirror only checks them. */
export type Command =
  | { readonly kind: 'call'; readonly name: string; readonly input: unknown }
  | { readonly kind: 'sleep'; readonly name: string; readonly ms: number }
  | { readonly kind: 'complete'; readonly result: unknown }
  | { readonly kind: 'fail'; readonly reason: string };

/** One line that names a command, for reports. */
export function describeCommand(command: Command): string {
  switch (command.kind) {
    case 'call':
      return `call ${command.name}`;
    case 'sleep':
      return `sleep ${command.name} ${command.ms}ms`;
    case 'complete':
      return 'complete';
    case 'fail':
      return `fail (${command.reason})`;
  }
}
