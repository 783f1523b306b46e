/** How big a plan may be: a night of one-second steps on every host; more is a mistake, not a plan. */
import { InputError } from '../errors.js';
import type { Scenario } from './schema.js';

export const MAX_STEPS = 100_000;

/** Throws when hosts x repetitions x deployments x benchmarks exceeds MAX_STEPS. */
export function checkPlanSize(where: string, s: Pick<Scenario, 'warmup' | 'repetitions'>, hosts: number, deployments: number, benchmarks: number): void {
  const reps = (s.warmup ? 1 : 0) + s.repetitions;
  const total = hosts * reps * deployments * benchmarks;
  if (total > MAX_STEPS)
    throw new InputError(
      `${where}the plan has ${total} steps (${hosts} host(s) x ${reps} repetition(s) x ${deployments} deployment(s) x ${benchmarks} benchmark(s)), more than ${MAX_STEPS}: split the scenario, or run part of it with --only`,
    );
}
