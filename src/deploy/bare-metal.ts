import type { DeploymentRunner } from './types.js';

/** The probe runs directly on the host, as a child of the transport: one process per invocation. */
export const bareMetalRunner: DeploymentRunner = {
  async runProbes(invs, ctx) {
    for (const inv of invs) {
      const stderr: Buffer[] = [];
      const r = await ctx.transport.run([ctx.probePath, inv.mode, ...inv.args], {
        signal: ctx.signal,
        // Generous: the probe ends itself; this only catches a hung host.
        timeoutMs: inv.expectedMs * 2 + 60_000,
        onStdout: ctx.onData,
        onStderr: (c) => stderr.push(c),
      });
      if (r.exitCode !== 0) {
        const msg = Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-10).join('\n');
        throw new Error(`probe exited with ${r.exitCode ?? r.signal}${msg ? `: ${msg}` : ''}`);
      }
    }
    return { context: {}, warnings: [] };
  },
};
