/**
 * A measuring tool's own CPU time and peak RSS (deploy/usage.ts), as the probe and rt-tests'
 * tools are run: both ways of reading them, and a real process measured on this machine.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { takeUsage, withUsage } from '../../src/deploy/usage.js';
import { LocalTransport } from '../../src/transport/local.js';

describe('tool usage', () => {
  it('reads GNU time\'s line and drops its notes on the exit', () => {
    const u = takeUsage('the tool said this\nCommand exited with non-zero status 2\nunilat-usage: wait4 0.25 0.10 2708\n');
    assert.deepEqual(u.usage, { cpuS: 0.35, userS: 0.25, sysS: 0.1, maxRssKiB: 2708, method: 'wait4', resolutionS: 0.01 });
    assert.equal(u.rest.trim(), 'the tool said this');
  });

  it('reads the waiting shell\'s cutime and cstime (clock ticks) when there is no GNU time', () => {
    const stat = '4242 (sh) S 1 4242 4242 0 -1 4194560 300 400 0 0 1 2 37 13 20 0 1 0 100 2000000 200 18446744073709551615';
    const u = takeUsage(`unilat-usage: proc-stat 100 ${stat}\n`);
    assert.deepEqual(u.usage, { cpuS: 0.5, userS: 0.37, sysS: 0.13, maxRssKiB: null, method: 'proc-stat', resolutionS: 0.01 });
  });

  it('no usage from a line that is not one, or from figures that are not', () => {
    assert.equal(takeUsage('unilat-usage: wait4 -1.00 0.00 12\n').usage, null);
    assert.equal(takeUsage('plain stderr\n').usage, null);
  });

  it('measures a real process: its CPU time, not the shell\'s; its exit status and output pass through', async () => {
    const t = new LocalTransport();
    const busy = ['sh', '-c', 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo out; echo err >&2; exit 3'];
    const r = await t.run(withUsage(busy));
    assert.equal(r.exitCode, 3);
    assert.equal(r.stdout, 'out\n');
    const { usage, rest } = takeUsage(r.stderr);
    assert.equal(rest.trim(), 'err');
    assert.ok(usage && usage.cpuS >= 0.05, JSON.stringify(usage));
    assert.ok(usage.maxRssKiB === null || usage.maxRssKiB > 100);
  });
});
