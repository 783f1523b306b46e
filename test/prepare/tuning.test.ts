import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalTransport } from '../../src/transport/local.js';
import { TuningError, applyTuning, validateKnobs } from '../../src/prepare/tuning.js';
import { HostJournal, activeJournals } from '../../src/prepare/journal.js';
import { recoverLeftoverJournals } from '../../src/prepare/recovery.js';

const RT = '/proc/sys/kernel/sched_rt_runtime_us';
const root = process.getuid?.() === 0;
const read = (p: string) => readFileSync(p, 'utf8').trim();
const irqFiles = () =>
  existsSync('/proc/irq')
    ? readdirSync('/proc/irq')
        .filter((d) => /^\d+$/.test(d))
        .map((d) => `/proc/irq/${d}/smp_affinity_list`)
        .filter((p) => existsSync(p))
    : [];
const holders = (marker: string) =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    });

// Snapshot of what we may touch, so `after` can put the machine back even if the code under test is wrong.
let snapshot: Map<string, string>;
let dir: string;
before(() => {
  snapshot = new Map([RT, ...irqFiles()].map((p) => [p, read(p)]));
  dir = mkdtempSync(join(tmpdir(), 'unilat-journal-'));
});
after(async () => {
  for (const j of activeJournals()) await j.restore().catch(() => {});
  for (const [p, v] of snapshot) {
    try {
      if (read(p) !== v) writeFileSync(p, v);
    } catch {
      /* refused IRQs */
    }
  }
  for (const pid of holders('unilat-dma-hold:')) {
    try {
      process.kill(Number(pid), 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

test('validateKnobs rejects bad values before anything changes', () => {
  assert.throws(() => validateKnobs({ irqAffinity: '0; rm -rf /' }), TuningError);
  assert.throws(() => validateKnobs({ irqAffinity: '' }), TuningError);
  assert.throws(() => validateKnobs({ dmaLatency: -1 }), TuningError);
  assert.throws(() => validateKnobs({ dmaLatency: 1.5 }), TuningError);
  assert.throws(() => validateKnobs({ governor: 'perf ormance' }), TuningError);
  validateKnobs({ governor: 'performance', irqAffinity: '0-1,3', dmaLatency: 0, rtThrottling: false });
});

test('apply rtThrottling + irqAffinity + dmaLatency, then restore to the exact old values', { skip: !root && 'needs root' }, async () => {
  const t = new LocalTransport();
  const j = new HostJournal(t, { dir });
  const oldRt = read(RT);
  const irqs = irqFiles();
  const oldIrq = new Map(irqs.map((p) => [p, read(p)]));
  const rep = await applyTuning(t, { rtThrottling: false, irqAffinity: '0', dmaLatency: 0, governor: 'performance' }, j);
  try {
    assert.equal(read(RT), '-1');
    assert.ok(existsSync(j.file), 'journal persisted on the host');
    const persisted = JSON.parse(readFileSync(j.file, 'utf8'));
    // Refused writes changed nothing: the host's copy holds only what is still to undo.
    assert.equal(persisted.entries.length, j.entries.filter((e) => e.state !== 'refused').length);
    assert.ok(rep.changes.some((c) => c.knob === 'rtThrottling' && c.before === oldRt && c.after === '-1' && !c.restored));
    // governor files are absent in this VM: skipped with a note, not a crash
    if (!existsSync('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor')) assert.ok(rep.notes.some((n) => n.startsWith('governor:')));
    if (irqs.length) {
      assert.ok(rep.irqs && rep.irqs.moved > 0);
      const moved = j.entries.filter((e) => e.knob === 'irqAffinity' && e.state === 'applied');
      for (const e of moved) assert.equal(read(e.path), '0');
      assert.equal(rep.irqs!.refused, rep.irqs!.refusedPaths.length);
    }
    const dma = j.entries.find((e) => e.knob === 'dmaLatency')!;
    assert.equal(dma.state, 'applied');
    assert.ok(dma.pid && existsSync(`/proc/${dma.pid}`));
    // the device reports the minimum of all requests: ours is 0
    assert.equal(readFileSync('/dev/cpu_dma_latency').readInt32LE(0), 0);
  } finally {
    const r = await j.restore();
    assert.deepEqual(r.errors, []);
  }
  assert.equal(read(RT), oldRt);
  for (const [p, v] of oldIrq) assert.equal(read(p), v, p);
  assert.equal(holders(j.entries.find((e) => e.knob === 'dmaLatency')!.marker!).length, 0, 'holder killed');
  assert.ok(!existsSync(j.file), 'journal file removed');
  assert.ok(j.changes().every((c) => c.restored));
  assert.ok(!activeJournals().includes(j));
});

test('a knob failing midway throws, and restore still undoes what was applied', { skip: !root && 'needs root' }, async () => {
  const t = new LocalTransport();
  const j = new HostJournal(t, { dir });
  const oldRt = read(RT);
  // CPU 4095 does not exist: every IRQ refuses it, after rtThrottling was already applied
  await assert.rejects(applyTuning(t, { rtThrottling: false, irqAffinity: '4095' }, j), (e: Error) => e instanceof TuningError && /irqAffinity/.test(e.message));
  assert.equal(read(RT), '-1');
  assert.ok(existsSync(j.file));
  const r = await j.restore();
  assert.deepEqual(r.errors, []);
  assert.equal(read(RT), oldRt);
  assert.ok(!existsSync(j.file));
});

test('restore keeps going past a failing entry, reports it, and keeps the journal file', { skip: !root && 'needs root' }, async () => {
  const t = new LocalTransport();
  const j = new HostJournal(t, { dir });
  const oldRt = read(RT);
  await applyTuning(t, { rtThrottling: false }, j);
  // an entry whose restore cannot succeed (procfs refuses to create files), recorded after the real one
  await j.record([{ area: 'tuning', knob: 'test', kind: 'write', path: '/proc/sys/kernel/unilat-no-such-file', before: '1', after: '2' }]);
  const r = await j.restore();
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0], /unilat-no-such-file/);
  assert.equal(read(RT), oldRt, 'the other entry was restored anyway');
  assert.ok(existsSync(j.file), 'kept for a later retry');
  const persisted = JSON.parse(readFileSync(j.file, 'utf8'));
  assert.deepEqual(
    persisted.entries.map((e: { state: string; knob: string }) => [e.knob, e.state]),
    [['test', 'restore-failed']],
    'only what is still to undo',
  );
  rmSync(j.file);
});

test('leftover journal: dropped without restore, the next connection restores it', { skip: !root && 'needs root' }, async () => {
  const t1 = new LocalTransport();
  let j: HostJournal | null = new HostJournal(t1, { dir, id: 'leftover-1' });
  const oldRt = read(RT);
  await applyTuning(t1, { rtThrottling: false, dmaLatency: 0 }, j);
  const marker = j.entries.find((e) => e.knob === 'dmaLatency')!.marker!;
  assert.equal(read(RT), '-1');
  // the connection that owns it does not treat it as leftover
  assert.deepEqual(await recoverLeftoverJournals(t1, { dir }), []);
  j = null; // lost: no restore through this object
  const rec = await recoverLeftoverJournals(new LocalTransport(), { dir });
  assert.equal(rec.length, 1);
  assert.equal(rec[0].id, 'leftover-1');
  assert.equal(rec[0].outcome, 'restored');
  assert.deepEqual(rec[0].errors, []);
  assert.ok(rec[0].changes.some((c) => c.knob === 'rtThrottling' && c.before === oldRt && c.restored));
  assert.equal(read(RT), oldRt);
  assert.equal(holders(marker).length, 0);
  assert.deepEqual(readdirSync(dir), []);
  for (const a of activeJournals()) if (a.id === 'leftover-1') await a.restore(); // in-memory object: nothing left to do
});

test('recovery skips unreadable files and discards journals from before a reboot', async () => {
  const t = new LocalTransport();
  writeFileSync(join(dir, 'journal-bad.json'), '{"half":');
  writeFileSync(
    join(dir, 'journal-old.json'),
    JSON.stringify({ format: 'unilat-tuning-journal', version: 1, runId: 'old', host: 'local', bootId: 'not-this-boot', createdAt: '', entries: [{ seq: 0, knob: 'rtThrottling', kind: 'write', path: RT, before: '12345', after: '-1', state: 'applied' }] }),
  );
  const before = read(RT);
  const rec = await recoverLeftoverJournals(t, { dir });
  const by = Object.fromEntries(rec.map((r) => [r.file.slice(r.file.lastIndexOf('/') + 1), r]));
  assert.equal(by['journal-bad.json'].outcome, 'unreadable');
  assert.equal(by['journal-old.json'].outcome, 'rebooted');
  assert.equal(read(RT), before, 'nothing written from a previous boot');
  assert.deepEqual(readdirSync(dir), ['journal-bad.json']);
  rmSync(join(dir, 'journal-bad.json'));
});

const childScript = join(dirname(fileURLToPath(import.meta.url)), 'tuning-child.js');

function startChild(mode: 'signal' | 'hang', runId: string) {
  const child = spawn(process.execPath, [childScript], {
    env: { ...process.env, UNILAT_TUNING_CHILD: '1', UNILAT_CHILD_MODE: mode, UNILAT_JOURNAL_DIR: dir, UNILAT_RUN_ID: runId },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      const m = /ready (\S+)\n/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`child exited ${code} before ready: ${err}`)));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, ready, exited, stderr: () => err };
}

test('a child that applied tuning restores on SIGINT before exiting', { skip: !root && 'needs root' }, async () => {
  const oldRt = read(RT);
  const oldIrq = new Map(irqFiles().map((p) => [p, read(p)]));
  const c = startChild('signal', 'sigint-child');
  const file = await c.ready;
  assert.equal(read(RT), '-1');
  assert.ok(existsSync(file));
  assert.equal(holders('unilat-dma-hold:sigint-child:').length, 1);
  c.child.kill('SIGINT');
  const { code } = await c.exited;
  assert.equal(code, 130, c.stderr());
  assert.match(c.stderr(), /SIGINT: restoring what this run changed on local/);
  assert.equal(read(RT), oldRt);
  for (const [p, v] of oldIrq) assert.equal(read(p), v, p);
  assert.equal(holders('unilat-dma-hold:sigint-child:').length, 0);
  assert.ok(!existsSync(file));
});

test('a child killed with SIGKILL leaves a journal that the next connection restores', { skip: !root && 'needs root' }, async () => {
  const oldRt = read(RT);
  const c = startChild('hang', 'killed-child');
  const file = await c.ready;
  c.child.kill('SIGKILL');
  await c.exited;
  assert.equal(read(RT), '-1');
  assert.ok(existsSync(file));
  assert.equal(holders('unilat-dma-hold:killed-child:').length, 1, 'the holder outlives its controller');
  const rec = await recoverLeftoverJournals(new LocalTransport(), { dir });
  assert.equal(rec.length, 1);
  assert.equal(rec[0].outcome, 'restored', rec[0].errors.join('\n'));
  assert.equal(read(RT), oldRt);
  assert.equal(holders('unilat-dma-hold:killed-child:').length, 0);
  assert.ok(!existsSync(file));
});

// ---- hrtick: a scheduler feature in debugfs, which may have to be mounted first ----

const DEBUGFS = '/sys/kernel/debug';
const debugfsMounted = () => readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === DEBUGFS && l.split(' ')[2] === 'debugfs');
const featuresFile = () => [`${DEBUGFS}/sched/features`, `${DEBUGFS}/sched_features`].find((p) => existsSync(p));
/**
 * The features file's text, or null when the kernel refuses it (lockdown: EPERM even to root).
 * debugfs is mounted for the read and unmounted again when it was not mounted.
 */
function featuresText(): string | null {
  const mounted = debugfsMounted();
  if (!mounted) execFileSync('mount', ['-t', 'debugfs', 'debugfs', DEBUGFS]);
  try {
    const f = featuresFile();
    return f ? read(f) : '';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPERM') return null;
    throw e;
  } finally {
    if (!mounted) execFileSync('umount', [DEBUGFS]);
  }
}

/**
 * Applies hrtick: true with `apply`, checks the host while applied, then `undo`es and checks that
 * the features file and the debugfs mount are back exactly. Where the kernel refuses the features
 * file (lockdown), the knob must fail saying so, and its mount of debugfs must still be undone.
 */
async function hrtickRoundTrip(apply: (j: HostJournal) => Promise<void>, undo: (j: HostJournal) => Promise<void>, id?: string): Promise<void> {
  const wasMounted = debugfsMounted();
  const before = featuresText();
  const feature = before !== null && /(^|\s)(NO_)?HRTICK_DL(\s|$)/.test(before) ? 'HRTICK_DL' : 'HRTICK';
  const wasOn = before !== null && new RegExp(`(^|\\s)${feature}(\\s|$)`).test(before);
  const j = new HostJournal(new LocalTransport(), { dir, id });
  try {
    if (before === null) {
      await assert.rejects(apply(j), (e: Error) => e instanceof TuningError && /^hrtick: cannot read \/sys\/kernel\/debug\/\S+: Operation not permitted \(under kernel lockdown/.test(e.message));
      console.log('# kernel lockdown refuses the scheduler features file here: only the refusal and the mount are checked');
    } else {
      await apply(j);
      assert.match(read(featuresFile()!), new RegExp(`(^|\\s)${feature}(\\s|$)`), `${feature} on`);
      const write = j.entries.find((e) => e.knob === 'hrtick' && e.kind === 'write');
      assert.equal(Boolean(write), !wasOn);
      if (write) assert.deepEqual([write.before, write.after, write.state], [`NO_${feature}`, feature, 'applied']);
    }
    assert.ok(debugfsMounted(), 'debugfs is mounted while the knob is applied');
    const mount = j.entries.find((e) => e.kind === 'mount');
    assert.equal(Boolean(mount), !wasMounted, 'a mount entry exactly when debugfs had to be mounted');
    if (mount) assert.deepEqual([mount.path, mount.after, mount.state], [DEBUGFS, 'debugfs', 'applied']);
    // Journaled on the host before anything changed: what recovery would undo.
    const persisted = JSON.parse(readFileSync(j.file, 'utf8')) as { entries: Array<{ kind: string }> };
    assert.deepEqual(persisted.entries.map((e) => e.kind), j.entries.filter((e) => e.state !== 'refused').map((e) => e.kind));
  } finally {
    await undo(j);
  }
  assert.equal(debugfsMounted(), wasMounted, 'debugfs mounted as before');
  assert.equal(featuresText(), before, 'the features file as before');
  assert.ok(!existsSync(j.file), 'journal file removed');
}

test('hrtick: applied (debugfs mounted where it was not), then the features file and the mount restored exactly', { skip: !root && 'needs root' }, async () => {
  await hrtickRoundTrip(
    async (j) => {
      const rep = await applyTuning(j.transport, { hrtick: true }, j);
      assert.ok(rep.changes.every((c) => c.knob === 'hrtick' && !c.restored));
    },
    async (j) => assert.deepEqual((await j.restore()).errors, []),
  );
});

test('hrtick: a journal left by a dead controller is restored by the next connection', { skip: !root && 'needs root' }, async () => {
  await hrtickRoundTrip(
    async (j) => {
      await applyTuning(j.transport, { hrtick: true }, j);
    },
    async () => {
      const rec = await recoverLeftoverJournals(new LocalTransport(), { dir });
      assert.equal(rec.length, 1);
      assert.equal(rec[0].outcome, 'restored', rec[0].errors.join('\n'));
    },
    'hrtick-leftover',
  );
  for (const a of activeJournals()) if (a.id === 'hrtick-leftover') await a.restore(); // in-memory object: nothing left to do
});

test('recovery refuses mounts, scheduler features and trace instances unilat never makes', async () => {
  const journal = (entries: unknown[]) => JSON.stringify({ format: 'unilat-host-journal', version: 2, id: 'forged', host: 'local', owner: { pid: 1, controller: 'x' }, bootId: null, createdAt: '', entries });
  const entry = { seq: 0, area: 'tuning', knob: 'hrtick', state: 'applied' };
  const cases: Array<[unknown, RegExp]> = [
    [{ ...entry, kind: 'mount', path: '/mnt', before: '', after: 'debugfs' }, /a mount tuning never makes/],
    [{ ...entry, kind: 'mount', path: DEBUGFS, before: '', after: 'tmpfs' }, /a mount tuning never makes/],
    [{ ...entry, kind: 'write', path: `${DEBUGFS}/sched/features`, before: 'NO_TTWU_QUEUE', after: 'TTWU_QUEUE' }, /a scheduler feature tuning never writes/],
    [{ ...entry, area: 'tracing', kind: 'mount', path: '/sys/kernel/tracing', before: '', after: 'debugfs' }, /a mount tuning never makes/],
    [{ ...entry, area: 'tracing', kind: 'trace-instance', path: '/sys/kernel/tracing/instances/other', before: '', after: 'mono' }, /a trace instance unilat never makes/],
    [{ ...entry, area: 'tracing', kind: 'trace-instance', path: '/sys/kernel/tracing/instances/unilat-0123abcd-0/../..', before: '', after: 'mono' }, /a trace instance unilat never makes/],
  ];
  for (const [e, why] of cases) {
    writeFileSync(join(dir, 'journal-forged.json'), journal([e]));
    const rec = await recoverLeftoverJournals(new LocalTransport(), { dir });
    assert.equal(rec.length, 1);
    assert.equal(rec[0].outcome, 'unreadable');
    assert.match(rec[0].errors[0], why);
  }
  rmSync(join(dir, 'journal-forged.json'));
});
