/** How a QEMU process ended, in words fit for one error line. */
import { constants } from 'node:os';

/** The last lines of a program's stderr, for one-line messages. */
export function stderrTail(text: string, lines = 3): string[] {
  return text.replace(/\r/g, '').split('\n').map((l) => l.trim()).filter(Boolean).slice(-lines);
}

/** "QEMU exited with status 1", "QEMU was killed by SIGABRT" (`timeout` reports a signal as 128+N). */
export function describeExit(code: number | null, signal?: string | null): string {
  if (signal) return `QEMU was killed by ${signal}`;
  if (code === null) return 'QEMU ended without an exit status';
  if (code > 128 && code < 128 + 65) {
    const name = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
    return `QEMU was killed by ${name ?? `signal ${code - 128}`} (exit ${code})`;
  }
  return `QEMU exited with status ${code}`;
}
