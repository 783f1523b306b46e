import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalTransport } from '../../src/transport/local.js';
import { gatherFacts, parseFacts } from '../../src/prepare/facts.js';
import { checkReadiness, formatChecklist, formatChecklistMarkdown, worstStatus } from '../../src/prepare/readiness.js';
import { RT_HOST_OUTPUT } from './fixtures.js';

const byId = (checks: ReturnType<typeof checkReadiness>) => Object.fromEntries(checks.map((c) => [c.id, c]));

test('this machine: PREEMPT_RT missing is a failure with an install fix', async () => {
  const f = await gatherFacts(new LocalTransport());
  const checks = checkReadiness(f);
  const c = byId(checks);
  if (f.kernel.preemptRt) return; // not this VM's case; nothing to assert
  assert.equal(c['preempt-rt'].status, 'fail');
  assert.match(c['preempt-rt'].fix, /apt-get install linux-image-rt-(amd64|arm64)/);
  assert.equal(worstStatus(checks), 'fail');
  // every non-passing check carries a one-line fix; passing ones none
  for (const k of checks) {
    if (k.status === 'pass') assert.equal(k.fix, '');
    else assert.ok(k.fix.length > 0 && !k.fix.includes('\n'), k.id);
  }
  const text = formatChecklist(checks, { host: 'local' });
  assert.match(text, /^✗ PREEMPT_RT kernel/m);
  console.log(text);
});

test('the RT fixture: isolation passes, governor/SMT/THP/clocksource warn, no-root with CAP_SYS_NICE passes', () => {
  const c = byId(checkReadiness(parseFacts(RT_HOST_OUTPUT)));
  assert.equal(c['preempt-rt'].status, 'pass');
  assert.equal(c['rt-throttling'].status, 'pass');
  assert.equal(c['cpu-isolation'].status, 'pass');
  assert.equal(c['cstates'].status, 'pass');
  assert.equal(c['governor'].status, 'warn');
  assert.match(c['governor'].detail, /1 of 8 .*powersave/);
  assert.equal(c['smt'].status, 'warn');
  assert.equal(c['thp'].status, 'warn');
  assert.equal(c['clocksource'].status, 'warn');
  assert.match(c['clocksource'].fix, /echo tsc >/);
  assert.equal(c['cap-sys-nice'].status, 'pass');
  assert.equal(c['cc'].status, 'warn');
  assert.equal(c['kvm'].status, 'warn');
  assert.match(c['kvm'].fix, /kvm group/);
});

test('fails and warns on a bare host: no CAP_SYS_NICE, throttling on, no isolation (fix names CPUs)', () => {
  const base = parseFacts(RT_HOST_OUTPUT);
  const f = {
    ...base,
    cmdline: { ...base.cmdline, isolcpus: null, nohzFull: null, rcuNocbs: null, idle: null, intelIdleMaxCstate: null, processorMaxCstate: null },
    sched: { rtRuntimeUs: 950000, rtPeriodUs: 1000000 },
    privileges: { uid: 1000, root: false, capSysNice: false, capEff: '0' },
    tools: { ...base.tools, cyclictest: null },
  };
  const c = byId(checkReadiness(f));
  assert.equal(c['cap-sys-nice'].status, 'fail');
  assert.equal(c['rt-throttling'].status, 'warn');
  assert.match(c['rt-throttling'].fix, /echo -1 > \/proc\/sys\/kernel\/sched_rt_runtime_us/);
  assert.equal(c['cpu-isolation'].status, 'warn');
  assert.match(c['cpu-isolation'].fix, /isolcpus=managed_irq,domain,4-7 nohz_full=4-7 rcu_nocbs=4-7 irqaffinity=0-3/);
  assert.equal(c['cstates'].status, 'warn');
  assert.equal(c['cyclictest'].status, 'warn');
  assert.match(c['cyclictest'].fix, /apt-get install rt-tests/);
});

test('formatters: aligned terminal lines and a Markdown table', () => {
  const checks = checkReadiness(parseFacts(RT_HOST_OUTPUT));
  const text = formatChecklist(checks);
  const lines = text.split('\n').filter((l) => /^[✓!✗] /.test(l));
  assert.equal(lines.length, checks.length);
  // details start in the same column
  const w = Math.max(...checks.map((c) => c.title.length));
  for (const [i, l] of lines.entries()) assert.equal(l.slice(2 + w, 4 + w), '  ', `line ${i}`);
  assert.match(text, /passed, \d+ warnings, 0 failed\n$/);
  const md = formatChecklistMarkdown(checks, { host: 'rtbox' });
  assert.match(md, /^### Real-time readiness: rtbox/);
  assert.equal(md.split('\n').filter((l) => l.startsWith('| ')).length, checks.length + 1);
});

test('HRTICK: off or unknown warns with the tuning fix, on passes', () => {
  const base = parseFacts(RT_HOST_OUTPUT);
  const hrtick = (sched: typeof base.sched) => byId(checkReadiness({ ...base, sched }))['hrtick'];
  const off = hrtick(base.sched);
  assert.equal(off.status, 'warn');
  assert.match(off.detail, /^HRTICK_DL off \(\/sys\/kernel\/debug\/sched\/features\): SCHED_DEADLINE periods under 2 ms need it/);
  assert.match(off.fix, /^tuning: \{hrtick: true\} in the deployment \(or .*echo HRTICK_DL > \/sys\/kernel\/debug\/sched\/features\)$/);
  const on = hrtick({ ...base.sched, hrtick: { ...base.sched.hrtick!, enabled: true } });
  assert.equal(on.status, 'pass');
  assert.equal(on.fix, '');
  const unmounted = hrtick({ ...base.sched, debugfsMounted: false, hrtick: null });
  assert.equal(unmounted.status, 'warn');
  assert.match(unmounted.detail, /debugfs not mounted .*HRTICK state unknown/);
  assert.match(unmounted.fix, /tuning: \{hrtick: true\}/);
  // A record from before these facts existed reads as unknown, never as a pass.
  assert.equal(hrtick({ rtRuntimeUs: -1, rtPeriodUs: 1000000 }).status, 'warn');
  const noFeature = hrtick({ ...base.sched, hrtick: null });
  assert.match(noFeature.fix, /CONFIG_SCHED_DEBUG/);
  const lockdown = hrtick({ ...base.sched, hrtick: null, schedFeaturesError: '/sys/kernel/debug/sched/features: Operation not permitted' });
  assert.match(lockdown.detail, /^\/sys\/kernel\/debug\/sched\/features: Operation not permitted \(kernel lockdown\?\): HRTICK state unknown and cannot be switched/);
  assert.match(lockdown.fix, /lockdown/);
});
