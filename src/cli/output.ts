/** Shared helpers so every command prints the same way: data on stdout, messages on stderr. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function status(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** An expected failure: one clear line on stderr and a non-zero exit, no stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
