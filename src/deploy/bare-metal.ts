import type { DeploymentRunner } from './types.js';
import { takeUsage, withUsage, type ProcessUsage } from './usage.js';

/**
 * The probe runs directly on the host, as a child of the transport: one process per invocation,
 * its own CPU time and peak RSS measured by the process that waits for it (usage.ts) and put in
 * the result's context as `usage`.
 */
export const bareMetalRunner: DeploymentRunner = {
  async runProbes(invs, ctx) {
    let usage: ProcessUsage | null = null;
    for (const inv of invs) {
      const stderr: Buffer[] = [];
      const r = await ctx.transport.run(withUsage([ctx.probePath, inv.mode, ...inv.args]), {
        signal: ctx.signal,
        // Generous: the probe ends itself; this only catches a hung host.
        timeoutMs: inv.expectedMs * 2 + 60_000,
        onStdout: ctx.onData,
        onStderr: (c) => stderr.push(c),
      });
      const said = takeUsage(Buffer.concat(stderr).toString('utf8'));
      usage = said.usage;
      if (r.exitCode !== 0) {
        const msg = said.rest.trim().split('\n').slice(-10).join('\n');
        throw new Error(`probe exited with ${r.exitCode ?? r.signal}${msg ? `: ${msg}` : ''}`);
      }
    }
    // One invocation per call on bare metal (steps do not share a boot): its usage is the step's.
    return { context: usage && invs.length === 1 ? { usage } : {}, warnings: [] };
  },
};
