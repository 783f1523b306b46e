/**
 * The syscall-tax table in report.md (and report.html, summary.csv) from syscall runs of the
 * real probe on this machine. Only one mitigation state can be measured here (this kernel's),
 * so the second deployment's applied config is a copy with the words a `mitigations=off`
 * kernel writes: what is under test is how the report groups and shows states, not the kernel.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { quantileSorted } from 'simple-statistics';
import { assembleStream } from '../../src/probe/protocol.js';
import { summarizeOps } from '../../src/stats/summary.js';
import { SCHEMA_VERSION, type CompletedOpsResult, type RunRecord } from '../../src/results/types.js';
import { countVulnerabilities, vulnerabilityState } from '../../src/report/data.js';
import { nsop } from '../../src/report/format.js';
import { renderSummaryCsv } from '../../src/report/csv.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { cleanupProbes, compileProbe, runProbe } from '../helpers/probe.js';
import { testScenario } from '../stats/synth.js';

/** What a kernel booted with mitigations=off writes (texts as Linux 6.1 words them). */
const OFF_VULNERABILITIES = {
  meltdown: 'Vulnerable',
  spectre_v1: 'Vulnerable: __user pointer sanitization and usercopy barriers only; no swapgs barriers',
  spectre_v2: 'Vulnerable; IBPB: disabled; STIBP: disabled; PBRSB-eIBRS: Not affected; BHI: Not affected',
  mds: 'Not affected',
};

async function measured(deployment: string, order: number): Promise<CompletedOpsResult> {
  const r = await runProbe(await compileProbe(), ['syscall', '--ops', 'func,getppid', '--batches', '21', '--warmup', '2', '--cpu', '0']);
  assert.equal(r.code, 0, r.stderr);
  const p = assembleStream(r.stdout);
  assert.ok(p.kind === 'syscall');
  const now = new Date().toISOString();
  return { deployment, benchmark: 'tax', host: 'local', repetition: 1, order, kind: 'syscall', status: 'completed', startedAt: now, endedAt: now, warnings: p.warnings, applied: p.applied, ...summarizeOps(p.ops) };
}

/** "median [Q1, Q3]" computed here from the per-batch figures with simple-statistics. */
function expectedSpread(raw: number[]): string {
  const s = [...raw].sort((a, b) => a - b);
  return `${nsop(quantileSorted(s, 0.5))} [${nsop(quantileSorted(s, 0.25))}, ${nsop(quantileSorted(s, 0.75))}]`;
}

/** The table rows (cells) under a `### heading` of report.md. */
function tableUnder(md: string, heading: string): string[][] {
  const at = md.indexOf(`### ${heading}\n`);
  assert.ok(at >= 0, `no heading ${heading}`);
  const lines = md.slice(at).split('\n').slice(2);
  const rows: string[][] = [];
  for (const l of lines) {
    if (!l.startsWith('|')) break;
    if (/^\|(---\|)+$/.test(l)) continue;
    rows.push(l.slice(1, -1).split(' | ').map((c) => c.trim()));
  }
  return rows;
}

describe('syscall tax table', () => {
  let record: RunRecord;
  let here: CompletedOpsResult;
  let off: CompletedOpsResult;
  before(async () => {
    here = await measured('bare', 0);
    off = await measured('unikernel-off', 1);
    off.applied = { ...off.applied!, mitigations: 'off', mitigationsReason: null, vulnerabilities: OFF_VULNERABILITIES, vulnerabilitiesReason: null };
    record = {
      schemaVersion: SCHEMA_VERSION,
      id: 'tax-test',
      tool: { name: 'unilat', version: '0.0.0-test' },
      startedAt: here.startedAt,
      endedAt: off.endedAt,
      status: 'completed',
      scenario: testScenario('tax', { deployments: [{ name: 'bare', kind: 'bare-metal' }, { name: 'unikernel-off', kind: 'unikernel', kernel: 'debian-rt' }], benchmarks: [{ name: 'syscalls', kind: 'syscall' }] }),
      scenarioFile: null,
      facts: {},
      readiness: {},
      tuning: [],
      results: [here, off],
      warnings: [],
      hostErrors: {},
    };
  });
  after(cleanupProbes);

  test('vulnerability texts are classified by the kernel\'s leading words', () => {
    assert.equal(vulnerabilityState('Mitigation: Retpolines; STIBP: disabled'), 'mitigated');
    assert.equal(vulnerabilityState('KVM: Mitigation: VMX disabled'), 'mitigated');
    assert.equal(vulnerabilityState('Vulnerable: Safe RET, no microcode'), 'vulnerable');
    assert.equal(vulnerabilityState('Processor vulnerable'), 'vulnerable');
    assert.equal(vulnerabilityState('Not affected'), 'not affected');
    assert.equal(vulnerabilityState('Unknown: No mitigations'), 'unclassified');
    assert.deepEqual(countVulnerabilities(OFF_VULNERABILITIES), { total: 4, mitigated: 0, vulnerable: 3, notAffected: 1, unclassified: 0 });
  });

  test('report.md: one table per mitigation state, medians with quartiles, ratio, cycles where measured', () => {
    const md = renderMarkdown(record);
    assert.match(md, /## Syscall tax by mitigation state/);
    const hereState = here.applied!.mitigations === null ? 'no mitigations= (kernel default: auto)' : `mitigations=${here.applied!.mitigations}`;
    for (const [state, r, kind] of [[hereState, here, 'bare-metal'], ['mitigations=off', off, 'unikernel']] as const) {
      const rows = tableUnder(md, state);
      assert.equal(rows.length, 2, `${state}: header and one row`);
      const [head, row] = rows;
      const cell = (name: string) => row[head.indexOf(name)];
      assert.equal(cell('deployment'), r.deployment);
      assert.equal(cell('kind'), kind);
      assert.equal(cell('getppid ns [Q1, Q3]'), expectedSpread(r.ops.getppid.raw));
      assert.equal(cell('func ns [Q1, Q3]'), expectedSpread(r.ops.func.raw));
      const ratio = quantileSorted([...r.ops.getppid.raw].sort((a, b) => a - b), 0.5) / quantileSorted([...r.ops.func.raw].sort((a, b) => a - b), 0.5);
      assert.equal(cell('getppid / func'), `${ratio.toFixed(0)}×`);
      assert.equal(cell('batches'), '21 / 21');
      if (r.applied!.tsc?.measured) {
        assert.equal(cell('getppid TSC cycles [Q1, Q3]'), expectedSpread(r.ops.getppid.cycles!.raw));
        assert.equal(cell('func TSC cycles [Q1, Q3]'), expectedSpread(r.ops.func.cycles!.raw));
      } else {
        assert.ok(!head.includes('getppid TSC cycles [Q1, Q3]'), 'no cycles column without cycles');
        assert.ok(md.includes(`No TSC cycles for ${r.deployment}: ${r.applied!.tsc!.reason}`));
      }
      if (r === off) assert.equal(cell('vulnerabilities'), '0 of 3 affected mitigated (3 vulnerable, 1 not affected)');
      else {
        const v = r.applied!.vulnerabilities;
        if (v) {
          const c = countVulnerabilities(v);
          assert.match(cell('vulnerabilities'), new RegExp(`^${c.mitigated} of ${c.total - c.notAffected} affected mitigated`));
        } else assert.match(cell('vulnerabilities'), /^unknown: cannot read/);
      }
    }
  });

  test('report.md and summary.csv show cycles in the ops tables exactly where measured', () => {
    const md = renderMarkdown(record);
    const csv = renderSummaryCsv(record).trim().split('\n').map((l) => l.split(','));
    const head = csv[0];
    assert.deepEqual(head.slice(-3), ['cycles_per_op', 'cycles_ci_low', 'cycles_ci_high']);
    const func = csv.find((row) => row[0] === 'bare' && row[head.indexOf('metric')] === 'func')!;
    const c = here.ops.func.cycles;
    if (c) {
      assert.match(md, /TSC cycles per operation/);
      assert.equal(Number(func[head.indexOf('cycles_per_op')]), Number(c.perOp.toFixed(3)));
      assert.ok(c.perOp > 0);
    } else {
      assert.doesNotMatch(md, /TSC cycles per operation/);
      assert.equal(func[head.indexOf('cycles_per_op')], '');
    }
  });

  test('report.html has the same tables', () => {
    const html = renderHtml(record);
    assert.match(html, /id="syscall-tax"/);
    assert.match(html, /<h4>mitigations=off<\/h4>/);
    assert.ok(html.includes(expectedSpread(off.ops.getppid.raw)));
  });
});
