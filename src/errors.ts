/** Typed failures; src/cli/main.ts alone maps them to exit codes (DESIGN.md "One place sets exit codes"). */

/** Bad input: usage, scenario, hosts file, a tool's output. Exit 2. Each problem is one line. */
export class InputError extends Error {
  readonly problems: string[];
  constructor(problems: string | string[]) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.join('\n'));
    this.name = 'InputError';
    this.problems = list;
  }
}

/** The run itself failed (host, probe, build). Exit 3. */
export class RunFailedError extends Error {
  constructor(
    message: string,
    readonly runDir?: string,
  ) {
    super(message);
    this.name = 'RunFailedError';
  }
}

/** A gate or comparison failed. Exit 1. */
export class GateFailedError extends Error {
  constructor(
    message: string,
    readonly runDir?: string,
  ) {
    super(message);
    this.name = 'GateFailedError';
  }
}

export const EXIT = { ok: 0, gate: 1, input: 2, run: 3 } as const;
