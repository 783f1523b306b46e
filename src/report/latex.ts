/**
 * summary.tex: booktabs tables to \input into a paper. Needs \usepackage{booktabs} only.
 */
import type { RunRecord } from '../results/types.js';
import { benchmarkNames, latencyGroups, opNames, opsGroups } from './data.js';
import { nsop, us } from './format.js';

const TEX_SPECIALS: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '&': '\\&',
  '%': '\\%',
  $: '\\$',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  '<': '\\textless{}',
  '>': '\\textgreater{}',
  '|': '\\textbar{}',
};

/** Escapes text for LaTeX's text mode (control characters and newlines become spaces). */
export function texEscape(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/[\\&%$#_{}~^<>|]/g, (c) => TEX_SPECIALS[c]);
}

/** A comment line: '%' starts a comment, so only line breaks need care. */
function texComment(s: string): string {
  return `% ${s.replace(/[\r\n]+/g, ' ')}`;
}

function tabular(cols: string, head: string[], rows: string[][], groupBreaks: Set<number>): string[] {
  return [
    `\\begin{tabular}{${cols}}`,
    '\\toprule',
    `${head.join(' & ')} \\\\`,
    '\\midrule',
    ...rows.flatMap((r, i) => [...(groupBreaks.has(i) ? ['\\addlinespace'] : []), `${r.join(' & ')} \\\\`]),
    '\\bottomrule',
    '\\end{tabular}',
  ];
}

/**
 * Wake-up latency per deployment x benchmark x host (counted repetitions and threads merged;
 * µs) and, for syscall benchmarks, ns per operation with its 95% interval and the ratio to
 * a plain function call.
 */
export function renderSummaryTex(record: RunRecord): string {
  const s = (record.scenario ?? {}) as { name?: unknown };
  const out: string[] = [
    texComment(`unilat ${record.tool.version} summary of run ${record.id} (scenario ${String(s.name ?? '?')}), generated from run.json`),
    texComment('requires \\usepackage{booktabs}'),
  ];
  const benches = benchmarkNames(record);

  const lat: string[][] = [];
  const latBreaks = new Set<number>();
  for (const b of benches) {
    const groups = latencyGroups(record, b);
    if (groups.length && lat.length) latBreaks.add(lat.length);
    for (const g of groups) {
      const m = g.summary;
      lat.push([texEscape(g.deployment), texEscape(b), texEscape(g.host), String(m.count), us(m.min), us(m.p50), us(m.p99), us(m.p999), us(m.max)]);
    }
  }
  if (lat.length) {
    out.push(
      '',
      '\\begin{table}[htbp]',
      '\\centering',
      '\\caption{Wake-up latency in $\\mu$s (threads and repetitions merged; percentiles within 0.4\\,\\%).}',
      '\\label{tab:unilat-latency}',
      ...tabular('lllrrrrrr', ['Deployment', 'Benchmark', 'Host', 'Count', 'Min', 'P50', 'P99', 'P99.9', 'Max'], lat, latBreaks),
      '\\end{table}',
    );
  }

  const ops: string[][] = [];
  const opsBreaks = new Set<number>();
  for (const b of benches) {
    const groups = opsGroups(record, b);
    const names = opNames(groups);
    const multiRep = groups.some((g) => g.results.length > 1);
    for (const g of groups)
      for (const r of g.results) {
        if (ops.length) opsBreaks.add(ops.length);
        for (const n of names) {
          const o = r.ops[n];
          if (!o) continue;
          const ratio = r.ratios[n];
          ops.push([
            texEscape(multiRep ? `${g.deployment} (rep ${r.repetition})` : g.deployment),
            texEscape(b),
            texEscape(g.host),
            `\\texttt{${texEscape(n)}}`,
            nsop(o.nsPerOp),
            `[${nsop(o.ciLow)}, ${nsop(o.ciHigh)}]`,
            ratio !== undefined ? `${ratio.toFixed(1)}$\\times$` : '--',
          ]);
        }
      }
  }
  if (ops.length) {
    out.push(
      '',
      '\\begin{table}[htbp]',
      '\\centering',
      '\\caption{Cost per operation in ns (median of batches, 95\\,\\% interval) and its ratio to a plain function call (\\texttt{func}).}',
      '\\label{tab:unilat-syscall}',
      ...tabular('llllrcr', ['Deployment', 'Benchmark', 'Host', 'Operation', 'ns/op', '95\\,\\% interval', 'Ratio'], ops, opsBreaks),
      '\\end{table}',
    );
  }
  if (!lat.length && !ops.length) out.push(texComment('no completed measurement in this run'));
  return `${out.join('\n')}\n`;
}
