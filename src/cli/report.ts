import type { CommandModule } from 'yargs';
import { writeReports } from '../report/write.js';
import { loadRunRecord } from '../results/store.js';

interface Args {
  runDir: string;
}

export const reportCommand: CommandModule<object, Args> = {
  command: 'report <run-dir>',
  describe: 'Rewrite the report files of a run folder from its run.json, without re-running',
  builder: (y) => y.positional('run-dir', { type: 'string', demandOption: true, describe: 'a run folder (or its run.json)' }) as never,
  handler: async (a) => {
    const record = await loadRunRecord(a.runDir);
    const dir = a.runDir.endsWith('.json') ? a.runDir.replace(/\/?run\.json$/, '') || '.' : a.runDir;
    const files = await writeReports(record, dir);
    process.stdout.write(`wrote ${files.join(', ')}\n${dir}\n`);
  },
};
