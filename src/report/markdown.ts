import { renderComparisonMarkdown } from './compare-md.js';
import { countedResults } from '../stats/compare.js';
import { BOOT_NOTE, BOOT_PHASES, bootBreakdown, bootResults } from './data.js';
import { mergeHistograms } from '../results/histogram.js';
import { summarize } from '../stats/quantiles.js';
import { isLatencyResult, isOpsResult, runScenario, type FailedResult, type Result, type RunRecord, type Warning } from '../results/types.js';
import { spreadText, syscallTax } from './data.js';
import { msAsS, ns1 as nsf, us2 as us } from './format.js';


export function mdTable(head: string[], rows: (string | number)[][]): string {
  const esc = (c: string | number) => String(c).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

/** Every warning of the run, each once, with where it came from. */
export function collectWarnings(record: RunRecord): Array<Warning & { where: string }> {
  const seen = new Set<string>();
  const out: Array<Warning & { where: string }> = [];
  const add = (w: Warning, where: string) => {
    const k = `${where}|${w.code}|${w.message}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push({ ...w, where });
    }
  };
  for (const w of record.warnings) add(w, 'run');
  for (const r of record.results) for (const w of r.warnings) add(w, `${r.host}/${r.deployment}/${r.benchmark}`);
  return out;
}

function statusLine(record: RunRecord): string {
  switch (record.status) {
    case 'completed':
      return 'Status: **completed**: every planned step ran.';
    case 'running':
      return 'Status: **INCOMPLETE**: the run did not finish; figures below cover only the steps that ended.';
    case 'aborted':
      return 'Status: **ABORTED**: the run was interrupted; figures below cover only the steps that ended.';
    default:
      return `Status: **${record.status.toUpperCase()}**: some steps failed (see "Failed steps"); the other figures are complete.`;
  }
}

function label(r: Result): string {
  return r.repetition === 0 ? 'warm-up' : String(r.repetition);
}

/** report.md: tables a researcher can paste, with the configuration and warnings. */
export function renderMarkdown(record: RunRecord, extraSections: string[] = []): string {
  const s = record.scenario;
  const out: string[] = [];
  out.push(`# unilat report: ${s.name ?? 'run'}`, '');
  if ('description' in s && s.description) out.push(s.description.trim(), '');
  out.push(
    `- Run: \`${record.id}\`, unilat ${record.tool.version}`,
    `- Started ${record.startedAt}${record.endedAt ? `, ended ${record.endedAt}` : ''}`,
    `- Scenario file: ${record.scenarioFile ?? '(none)'}`,
    `- ${statusLine(record)}`,
    '',
  );

  const warnings = collectWarnings(record);
  if (warnings.length) {
    out.push('## ⚠ Warnings', '');
    for (const w of warnings) out.push(`- **${w.code}** (${w.where}): ${w.message}`);
    out.push('');
  }

  out.push(...gatesSection(record));
  out.push(...sideBySide(record));

  const latency = record.results.filter(isLatencyResult);
  if (latency.length) {
    out.push('## Wake-up latency (µs)', '');
    out.push(
      mdTable(
        ['deployment', 'benchmark', 'host', 'rep', 'policy', 'samples', 'min', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'mean', 'stddev'],
        latency.map((r) => {
          const l = r.latency;
          const a = r.applied;
          return [r.deployment, r.benchmark, r.host, label(r), a ? `${a.policy}${a.priority ? `/${a.priority}` : ''}` : '?', l.count, us(l.min), us(l.p50), us(l.p90), us(l.p99), us(l.p999), us(l.p9999), us(l.max), us(l.mean), us(l.stddev)];
        }),
      ),
      '',
    );
    out.push('### Per thread', '');
    out.push(
      mdTable(
        ['deployment', 'benchmark', 'host', 'rep', 'thread', 'cpu', 'interval (µs)', 'samples', 'min', 'p50', 'p99', 'max'],
        latency.flatMap((r) =>
          r.latency.threads.map((t) => [r.deployment, r.benchmark, r.host, label(r), t.thread, t.cpu ?? '–', us(t.intervalNs), t.summary.count, us(t.summary.min), us(t.summary.p50), us(t.summary.p99), us(t.summary.max)]),
        ),
      ),
      '',
    );
    const spiky = latency.filter((r) => r.latency.spikes.length || r.latency.overflows);
    for (const r of spiky) {
      const l = r.latency;
      out.push(`- ${r.deployment}/${r.benchmark} rep ${label(r)}: ${l.spikes.length + l.spikesDropped} spikes above the threshold${l.overflows ? `, ${l.overflows} samples beyond the histogram range` : ''}.`);
    }
    if (spiky.length) out.push('');
  }

  const ops = record.results.filter(isOpsResult);
  if (ops.length) {
    out.push('## System call vs function call (ns per operation, median of batches, 95% interval)', '');
    const names = [...new Set(ops.flatMap((r) => Object.keys(r.ops)))];
    out.push(
      mdTable(
        ['deployment', 'benchmark', 'host', 'rep', ...names],
        ops.map((r) => [r.deployment, r.benchmark, r.host, label(r), ...names.map((n) => {
          const o = r.ops[n];
          return o ? `${nsf(o.nsPerOp)} [${nsf(o.ciLow)}, ${nsf(o.ciHigh)}]` : '–';
        })]),
      ),
      '',
    );
    const withCycles = ops.filter((r) => Object.values(r.ops).some((o) => o.cycles));
    if (withCycles.length) {
      out.push('TSC cycles per operation (median of batches, 95% interval; invariant TSC only, so these are ticks at the TSC\'s fixed rate, not core clock cycles):', '');
      out.push(
        mdTable(
          ['deployment', 'benchmark', 'host', 'rep', ...names],
          withCycles.map((r) => [r.deployment, r.benchmark, r.host, label(r), ...names.map((n) => {
            const c = r.ops[n]?.cycles;
            return c ? `${nsf(c.perOp)} [${nsf(c.ciLow)}, ${nsf(c.ciHigh)}]` : '–';
          })]),
        ),
        '',
      );
    }
    const noCycles = [...new Set(ops.flatMap((r) => Object.values(r.ops).filter((o) => o.cycles === null).map((o) => `${r.deployment}/${r.benchmark}: ${o.cyclesReason ?? 'not measured'}`)))];
    if (noCycles.length) {
      out.push('No TSC cycles for:', '', ...noCycles.map((t) => `- ${t}`), '');
    }
    const ratioNames = [...new Set(ops.flatMap((r) => Object.keys(r.ratios)))];
    if (ratioNames.length) {
      out.push('Cost relative to a plain function call (the "syscall tax" a unikernelized Linux would remove):', '');
      out.push(
        mdTable(
          ['deployment', 'host', 'rep', ...ratioNames.map((n) => `${n} / func`)],
          ops.map((r) => [r.deployment, r.host, label(r), ...ratioNames.map((n) => (r.ratios[n] !== undefined ? `${r.ratios[n].toFixed(1)}×` : '–'))]),
        ),
        '',
      );
    }
  }

  out.push(...taxSection(record));
  out.push(...guestSection(record));
  out.push(...bootSection(record));
  const comparisons = record.comparisons ?? [];
  if (comparisons.length) {
    out.push('## Deployment vs deployment', '');
    // The comparison writer's own title is a level-1 heading; nest it here.
    for (const c of comparisons) {
      const r = c.rows[0];
      const title = r ? `### ${r.candidateGroup.deployment} vs ${r.baselineGroup.deployment}` : '### Comparison';
      out.push(renderComparisonMarkdown(c).replace(/^# .*$/m, title), '');
    }
  }
  out.push(...extraSections.flatMap((x) => [x, '']));

  const failed = record.results.filter((r): r is FailedResult => r.status !== 'completed');
  const hostErrors = Object.entries(record.hostErrors);
  if (failed.length || hostErrors.length) {
    out.push('## Failed steps', '');
    for (const [h, e] of hostErrors) out.push(`- host **${h}**: ${e}`);
    for (const r of failed) out.push(`- ${r.host}/${r.deployment}/${r.benchmark} rep ${label(r)} (${r.status}): ${r.error.split('\n')[0]}`);
    out.push('');
  }

  out.push(...hostSection(record));
  out.push('## Configuration', '');
  const applied = record.results.filter((r) => isLatencyResult(r) || isOpsResult(r)).filter((r) => r.applied);
  if (applied.length) {
    out.push('What the probe actually ran with (not only what was asked):', '');
    out.push(
      mdTable(
        ['deployment', 'benchmark', 'host', 'rep', 'policy', 'priority', 'threads', 'affinity', 'mlockall', 'cpu_dma_latency', 'clock res (ns)', 'loop overhead (ns)', 'kernel'],
        applied.map((r) => {
          const a = r.applied!;
          return [r.deployment, r.benchmark, r.host, label(r), a.policy, a.priority, a.threads, a.affinity.length ? a.affinity.join(',') : 'any', a.mlockall ? 'yes' : 'no', a.dmaLatency ? 'held at 0' : 'no', a.clockResolutionNs, a.loopOverheadNs ?? '–', a.kernel ?? '–'];
        }),
      ),
      '',
    );
  }
  if (record.tuning.length) {
    out.push('Tuning applied on hosts (each restored afterwards):', '');
    out.push(mdTable(['host', 'knob', 'path', 'before', 'during', 'restored'], record.tuning.map((t) => [t.host, t.knob, t.path, t.before, t.after, t.restored ? 'yes' : '**NO**'])), '');
  } else out.push('No host tuning was applied.', '');
  out.push('Scenario as resolved:', '', '```json', JSON.stringify(record.scenario, null, 2), '```', '');
  return out.join('\n');
}

/** Host facts in brief and each host's real-time readiness checklist. */
function hostSection(record: RunRecord): string[] {
  const hosts = Object.keys(record.facts);
  if (!hosts.length) return [];
  const out = ['## Hosts', ''];
  const readiness = record.readiness;
  for (const h of hosts) {
    const f = record.facts[h];
    out.push(`### ${h}`, '');
    out.push(`- Kernel: ${f.kernel?.release ?? '?'} ${f.kernel?.preemptRt ? '(PREEMPT_RT)' : '(**not PREEMPT_RT**)'}`);
    if (f.cpu?.model) out.push(`- CPU: ${f.cpu.model}${f.cpu.onlineCount ? `, ${f.cpu.onlineCount} online` : ''}`);
    if (f.cmdline?.raw != null) out.push(`- Command line: \`${f.cmdline.raw}\``);
    out.push('');
    const checks = readiness[h];
    if (Array.isArray(checks) && checks.length) {
      const mark = { pass: '✓ pass', warn: '! warn', fail: '✗ FAIL' } as const;
      out.push(mdTable(['check', 'status', 'detail', 'fix'], checks.map((c) => [c.title, mark[c.status] ?? c.status, c.detail, c.status === 'pass' ? '' : (c.fix ?? '')])), '');
    }
  }
  return out;
}

function gatesSection(record: RunRecord): string[] {
  const gates = record.gates ?? [];
  if (!gates.length) return [];
  const failed = gates.filter((g) => !g.pass).length;
  return [
    `## Gates: ${failed ? `**${failed} FAILED**` : 'all passed'}`,
    '',
    mdTable(['gate', 'checked on', 'result', 'detail'], gates.map((g) => [g.gate, g.key, g.pass ? 'pass' : '**FAIL**', g.detail])),
    '',
  ];
}


function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** One row per deployment (and host): latency pooled over repetitions, syscall costs, boot time. */
function sideBySide(record: RunRecord): string[] {
  const results = countedResults(record);
  const keys = [...new Set(results.map((r) => `${r.deployment}\u0000${r.host}`))];
  if (keys.length < 2) return [];
  const multiHost = new Set(results.map((r) => r.host)).size > 1;
  const rows = keys.map((k) => {
    const [dep, host] = k.split('\u0000');
    const mine = results.filter((r) => r.deployment === dep && r.host === host);
    const lat = mine.filter(isLatencyResult);
    const h = lat.length ? summarize(mergeHistograms(lat.map((r) => r.latency.histogram))) : null;
    const ops = mine.filter(isOpsResult);
    const op = (n: string) => mean(ops.map((r) => r.ops[n]?.nsPerOp).filter((v): v is number => v !== undefined));
    const boots = bootResults(record).filter((r) => r.deployment === dep && r.host === host).flatMap((r) => (typeof r.context?.bootMs === 'number' ? [r.context.bootMs] : []));
    const kind = runScenario(record)?.deployments.find((d) => d.name === dep)?.kind ?? '';
    return [
      multiHost ? `${dep} @ ${host}` : dep,
      kind,
      h ? h.count : '–',
      h ? us(h.p50) : '–',
      h ? us(h.p99) : '–',
      h ? us(h.p999) : '–',
      h ? us(h.max) : '–',
      nsf(op('func')),
      nsf(op('getppid')),
      Number.isFinite(op('getppid') / op('func')) ? `${(op('getppid') / op('func')).toFixed(0)}×` : '–',
      boots.length ? msAsS(mean(boots)) : '–',
    ];
  });
  return [
    '## Deployments side by side',
    '',
    'Latency pooled over counted repetitions (µs); syscall costs in ns per operation (mean of repetition medians); boot time from QEMU start to the probe\'s first line (s).',
    '',
    mdTable(['deployment', 'kind', 'samples', 'p50', 'p99', 'p99.9', 'max', 'func (ns)', 'getppid (ns)', 'getppid / func', 'boot (s)'], rows),
    '',
  ];
}

/** Guests: where boot time went, per deployment (medians over its boots), and how many boots ran its benchmarks. */
function bootSection(record: RunRecord): string[] {
  const rows = bootBreakdown(record);
  if (!rows.length) return [];
  return [
    '## Boot time, broken down',
    '',
    BOOT_NOTE,
    '',
    mdTable(
      ['deployment', 'boots', ...BOOT_PHASES.map(([, h]) => h), 'boots and benchmarks'],
      rows.map((r) => [r.deployment, String(r.boots), ...BOOT_PHASES.map(([k]) => (r.phases[k] === null ? '–' : String(r.phases[k]))), r.mode]),
    ),
    '',
  ];
}

/** The syscall tax (getppid vs func) per deployment, one table per mitigations= state. */
function taxSection(record: RunRecord): string[] {
  const tables = syscallTax(record);
  if (!tables.length) return [];
  const out = [
    '## Syscall tax by mitigation state',
    '',
    'A no-op system call (`getppid`) against a function call (`func`): median ns per operation with the first and third quartile [Q1, Q3] of the per-batch figures (counted repetitions pooled); getppid / func is the ratio of the medians. The mitigation state is what the kernel that ran the probe reports (a guest\'s own kernel in a guest): its `mitigations=` and /sys/devices/system/cpu/vulnerabilities.',
    '',
  ];
  const multiBench = new Set(tables.flatMap((t) => t.rows.map((r) => r.benchmark))).size > 1;
  for (const t of tables) {
    const cyc = t.rows.some((r) => r.getppid?.cycles || r.func?.cycles);
    const head = ['deployment', ...(multiBench ? ['benchmark'] : []), 'kind', 'getppid ns [Q1, Q3]', 'func ns [Q1, Q3]', 'getppid / func', ...(cyc ? ['getppid TSC cycles [Q1, Q3]', 'func TSC cycles [Q1, Q3]'] : []), 'batches', 'vulnerabilities'];
    out.push(`### ${t.state}`, '');
    out.push(
      mdTable(
        head,
        t.rows.map((r) => [
          r.name,
          ...(multiBench ? [r.benchmark] : []),
          r.kind || '–',
          spreadText(r.getppid?.ns),
          spreadText(r.func?.ns),
          r.ratio !== null && Number.isFinite(r.ratio) ? `${r.ratio.toFixed(0)}×` : '–',
          ...(cyc ? [spreadText(r.getppid?.cycles), spreadText(r.func?.cycles)] : []),
          `${r.getppid?.batches ?? '–'} / ${r.func?.batches ?? '–'}`,
          r.vulnerabilities,
        ]),
      ),
      '',
    );
    const notes = [...new Set(t.rows.flatMap((r) => [r.getppid, r.func].filter((o) => o && !o.cycles).map((o) => `${r.name}: ${o!.cyclesReason}`)))];
    if (notes.length) out.push(`No TSC cycles for ${notes.join('; ')}.`, '');
    if (t.rows.some((r) => [r.getppid, r.func].some((o) => o && (o.ns.q1 === null || (o.cycles && o.cycles.q1 === null)))))
      out.push('[?, ?]: the result kept no per-batch figures, so its quartiles are unknown.', '');
  }
  return out;
}

/** Guests: how each booted, on which kernel, and where its vCPUs ran. */
function guestSection(record: RunRecord): string[] {
  const guests = record.results.filter((r) => r.context && typeof r.context.bootMs === 'number');
  if (!guests.length) return [];
  const vcpuText = (v: unknown) =>
    Array.isArray(v) ? v.map((x: { vcpu: number; hostCpu: number | null; threadId: number; policy?: string; priority?: number }) => `vCPU${x.vcpu}→CPU${x.hostCpu ?? 'any'} (tid ${x.threadId}${x.policy ? `, ${x.policy}${x.priority ? `/${x.priority}` : ''}` : ''})`).join(', ') : '–';
  return [
    '## Guests',
    '',
    mdTable(
      ['deployment', 'benchmark', 'rep', 'accel', 'guest kernel', 'PREEMPT_RT', 'boot (ms)', 'guest uptime at probe start (s)', 'vCPU = pCPU mapping', 'console log'],
      guests.map((r) => {
        const c = r.context!;
        return [r.deployment, r.benchmark, label(r), String(c.accel ?? '?'), String(c.guestKernel ?? '?'), c.guestRealtime === 1 || c.guestRealtime === '1' ? 'yes' : 'no', String(c.bootMs), String(c.guestUptimeAtProbeS ?? '–'), vcpuText(c.vcpus), String(c.consoleLog ?? '–').split('/').pop()!];
      }),
    ),
    '',
  ];
}
