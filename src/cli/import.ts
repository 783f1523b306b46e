import type { CommandModule } from 'yargs';
import { importFiles } from '../bench/import.js';
import { writeReports } from '../report/write.js';
import { createRunDir, newRunId, saveRunRecord } from '../results/store.js';
import { SCHEMA_VERSION, type RunRecord } from '../results/types.js';
import { VERSION } from '../version.js';

interface Args {
  file: string[];
  out: string;
  name?: string;
  host?: string;
  nsecs: boolean;
}

export const importCommand: CommandModule<object, Args> = {
  command: 'import <file..>',
  describe: 'Turn cyclictest output files (--json, -h histogram, -v verbose) into a run folder',
  builder: (y) =>
    y
      .positional('file', { type: 'string', array: true, demandOption: true, describe: 'cyclictest output files (format detected)' })
      .options({
        out: { type: 'string', default: 'results', describe: 'directory for the run folder' },
        name: { type: 'string', describe: 'benchmark name for the results (default: each file\'s base name)' },
        host: { type: 'string', describe: 'host name for the results (default: from the file, else "imported")' },
        nsecs: { type: 'boolean', default: false, describe: 'histogram/verbose files hold ns (cyclictest -N)' },
      }) as never,
  handler: async (a) => {
    const started = new Date().toISOString();
    const results = await importFiles(a.file, { name: a.name, host: a.host, nsecs: a.nsecs });
    const name = a.name ?? 'import';
    const id = newRunId(name);
    const dir = await createRunDir(a.out, id);
    const record: RunRecord = {
      schemaVersion: SCHEMA_VERSION,
      id,
      tool: { name: 'unilat', version: VERSION },
      startedAt: results.map((r) => r.startedAt).sort()[0] ?? started,
      endedAt: results.map((r) => r.endedAt).sort().at(-1) ?? started,
      status: 'completed',
      scenario: { name, imported: a.file },
      scenarioFile: null,
      facts: {},
      readiness: {},
      tuning: [],
      results,
      warnings: [],
      hostErrors: {},
    };
    await saveRunRecord(dir, record);
    await writeReports(record, dir);
    for (const r of results)
      process.stdout.write(
        `${r.context?.import?.file}: ${r.latency.count} samples, max ${r.latency.max / 1000} us` +
          `${r.warnings.length ? ` (${r.warnings.length} warning${r.warnings.length > 1 ? 's' : ''})` : ''}\n`,
      );
    process.stdout.write(`${dir}\n`);
  },
};
