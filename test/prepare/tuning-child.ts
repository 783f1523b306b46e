/**
 * Helper process for tuning.test.ts (not a test): applies tuning, prints "ready", then waits
 * to be signalled. With UNILAT_CHILD_MODE=signal it installs the signal restore; with
 * "hang" it does not (the parent SIGKILLs it to simulate a lost controller).
 * Without UNILAT_TUNING_CHILD it does nothing, because `node --test dist/test/` runs every file.
 */
import { LocalTransport } from '../../src/transport/local.js';
import { applyTuning } from '../../src/prepare/tuning.js';
import { HostJournal } from '../../src/prepare/journal.js';
import { installSignalRestore } from '../../src/prepare/recovery.js';

if (process.env.UNILAT_TUNING_CHILD === '1') {
  const t = new LocalTransport();
  const journal = new HostJournal(t, { dir: process.env.UNILAT_JOURNAL_DIR!, id: process.env.UNILAT_RUN_ID });
  if (process.env.UNILAT_CHILD_MODE === 'signal') installSignalRestore();
  await applyTuning(t, { rtThrottling: false, irqAffinity: '0', dmaLatency: 0 }, journal);
  process.stdout.write(`ready ${journal.file}\n`);
  setInterval(() => {}, 1000);
}
