/** One item of a host's real-time readiness checklist, as the run record keeps it (made by prepare/readiness.ts). */

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface Check {
  /** Stable identifier (used in reports and to silence a check). */
  id: string;
  status: CheckStatus;
  title: string;
  /** What was found. */
  detail: string;
  /** One line that makes the check pass ('' when it passes). */
  fix: string;
}
