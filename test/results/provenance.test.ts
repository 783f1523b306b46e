/**
 * Provenance (results/provenance.ts): labels validated, CI variables read, the scenario hash,
 * the per-host part from facts and tuning, the diff between two runs; the kernel config hash in
 * the facts; a version-1 history read as it is (provenance from the stored records) and
 * migrated to version 2 when a writer opens it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parseFacts } from '../../src/prepare/facts.js';
import { HISTORY_SCHEMA_VERSION, historySeries, openHistory, provenanceOf, recordRun } from '../../src/results/history.js';
import { ciFromEnv, parseLabels, provenanceDiff, runProvenance, scenarioHash } from '../../src/results/provenance.js';
import { parseRunRecord } from '../../src/results/schema.js';
import { RT_HOST_OUTPUT } from '../prepare/fixtures.js';
import { runRecord, testScenario } from '../stats/synth.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'unilat-provenance-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const HASH = 'a'.repeat(64);
const facts = (extra = '') => parseFacts(`${RT_HOST_OUTPUT}\n@@unilat-facts@@ kconfig_hash\n/proc/config.gz\n${HASH}  -\n${extra}`);

test('--label: KEY=VALUE pairs; each bad one named on its own line', () => {
  assert.deepEqual(parseLabels(['kernel-tree=next', 'note=a b=c', 'empty=']), { 'kernel-tree': 'next', note: 'a b=c', empty: '' });
  assert.throws(
    () => parseLabels(['novalue', '9lives=x', 'k=\x1b[31m', 'k=ok', 'k=again', `long=${'x'.repeat(300)}`]),
    (e: Error & { problems?: string[] }) => {
      assert.deepEqual(e.problems?.map((p) => p.replace(/x{20,}/, 'x…')), [
        '--label "novalue": expected KEY=VALUE',
        '--label "9lives=x": the key must start with a letter and hold only letters, digits, _ . - (at most 64 characters)',
        '--label "k=\\x1b[31m": the value holds control characters',
        '--label "k=again": k given twice',
        '--label "long=x…": the value is longer than 256 characters',
      ]);
      return true;
    },
  );
});

test('CI variables: GitLab, GitHub Actions, Jenkins; none outside CI; control characters made visible', () => {
  assert.deepEqual(ciFromEnv({ CI_COMMIT_SHA: 'c1', CI_COMMIT_REF_NAME: 'main', CI_PIPELINE_ID: '42' }), { system: 'gitlab', commit: 'c1', branch: 'main', build: '42' });
  assert.deepEqual(ciFromEnv({ GITHUB_SHA: 'g1', GITHUB_REF_NAME: 'dev', GITHUB_RUN_ID: '7' }), { system: 'github', commit: 'g1', branch: 'dev', build: '7' });
  assert.deepEqual(ciFromEnv({ GIT_COMMIT: 'j1', GIT_BRANCH: 'origin/main', BUILD_NUMBER: '99' }), { system: 'jenkins', commit: 'j1', branch: 'origin/main', build: '99' });
  assert.deepEqual(ciFromEnv({ BUILD_NUMBER: '\x1b]0;x' }), { system: 'jenkins', commit: null, branch: null, build: '\\x1b]0;x' });
  assert.equal(ciFromEnv({ PATH: '/bin' }), null);
});

test('the scenario hash: the same content in any key order gives the same hash, other content another', () => {
  const s = testScenario('a');
  const reordered = Object.fromEntries(Object.entries(s).reverse());
  assert.equal(scenarioHash(s), scenarioHash(reordered));
  assert.match(scenarioHash(s), /^[0-9a-f]{64}$/);
  assert.notEqual(scenarioHash(s), scenarioHash(testScenario('a', { repetitions: 5 })));
});

test('the kernel config hash in the facts: the file and sha256sum, null without either', () => {
  assert.deepEqual(facts().kernel.config, { sha256: HASH, source: '/proc/config.gz' });
  assert.equal(parseFacts(RT_HOST_OUTPUT).kernel.config, null);
  assert.equal(parseFacts(`${RT_HOST_OUTPUT}\n@@unilat-facts@@ kconfig_hash\n/boot/config-6.1\n`).kernel.config, null, 'no sha256sum');
});

test('runProvenance and provenanceDiff: kernel, cmdline, config, tuning, labels, CI, scenario, unilat', () => {
  const f = facts();
  const a = runRecord('r1', [], { facts: { h: f }, tuning: [{ host: 'h', knob: 'governor', path: '/sys/x/cpu0', before: 'powersave', after: 'performance', restored: true }, { host: 'h', knob: 'governor', path: '/sys/x/cpu1', before: 'powersave', after: 'performance', restored: true }], provenance: { scenarioHash: HASH, labels: { tree: 'a' }, ci: null } });
  const pa = runProvenance(a);
  assert.deepEqual(pa.hosts.h, { kernel: f.kernel.release, build: f.kernel.version, cmdline: f.cmdline.raw, kernelConfig: HASH, tuning: { governor: 'performance' } });
  assert.deepEqual(provenanceDiff(pa, pa), []);
  const g = { ...f, kernel: { ...f.kernel, release: '6.2.0-rt', config: { sha256: 'b'.repeat(64), source: '/proc/config.gz' } }, cmdline: { ...f.cmdline, raw: 'isolcpus=3' } };
  const b = runRecord('r2', [], { tool: { name: 'unilat', version: '0.2.0' }, facts: { h: g }, tuning: [], provenance: { scenarioHash: 'c'.repeat(64), labels: { tree: 'b', extra: 'x' }, ci: { system: 'gitlab', commit: 'c9', branch: 'main', build: '1' } } });
  assert.deepEqual(provenanceDiff(pa, runProvenance(b)), [
    'unilat: 0.1.0 -> 0.2.0',
    'scenario: aaaaaaaaaaaa -> cccccccccccc',
    `kernel@h: ${f.kernel.release} -> 6.2.0-rt`,
    `cmdline@h: ${f.cmdline.raw.length > 80 ? `${f.cmdline.raw.slice(0, 77)}...` : f.cmdline.raw} -> isolcpus=3`,
    'kernel config@h: aaaaaaaaaaaa -> bbbbbbbbbbbb',
    'tuning governor@h: performance -> (none)',
    'label extra: (none) -> x',
    'label tree: a -> b',
    'ci: (none) -> gitlab',
    'ci commit: (none) -> c9',
    'ci branch: (none) -> main',
  ]);
});

test('run.json: provenance is optional (older records load), and checked when present', () => {
  const rec = runRecord('r', []);
  assert.equal(parseRunRecord(JSON.parse(JSON.stringify(rec)), 'run.json').provenance, undefined);
  const bad = { ...rec, provenance: { scenarioHash: HASH, labels: { k: 3 }, ci: null } };
  assert.throws(() => parseRunRecord(JSON.parse(JSON.stringify(bad)), 'run.json'), /run\.json: provenance\.labels\.k: expected string/);
});

test('a version-1 history: read as it is (provenance from the records), migrated to version 2 by a writer', () => {
  const file = join(dir, 'v1.db');
  const db = openHistory(file);
  const rec = runRecord('old-run', [], { facts: { h: facts() }, provenance: { scenarioHash: HASH, labels: { tree: 'a' }, ci: null } });
  recordRun(db, rec, []);
  db.close();
  // What a version-1 writer left: no provenance column, version 1.
  const raw = new Database(file);
  raw.exec('ALTER TABLE runs DROP COLUMN provenance; DELETE FROM schema_version WHERE version > 1');
  raw.close();
  const ro = openHistory(file, 'read');
  assert.deepEqual(provenanceOf(ro, ['old-run', 'missing']).get('old-run')?.labels, { tree: 'a' });
  assert.equal(provenanceOf(ro, ['missing']).size, 0);
  ro.close();
  const w = openHistory(file);
  const versions = (w.prepare('SELECT version FROM schema_version ORDER BY version').all() as Array<{ version: number }>).map((r) => r.version);
  assert.deepEqual(versions, [1, 2]);
  assert.equal(HISTORY_SCHEMA_VERSION, 2);
  recordRun(w, { ...rec, id: 'new-run' }, []);
  assert.deepEqual(JSON.parse(w.prepare("SELECT provenance FROM runs WHERE id = 'new-run'").pluck().get() as string).hosts.h.kernelConfig, HASH);
  w.close();
  // A tampered provenance is refused with its field named.
  const t = new Database(file);
  t.prepare("UPDATE runs SET provenance = ? WHERE id = 'new-run'").run(JSON.stringify({ unilat: 1 }));
  t.close();
  const r2 = openHistory(file, 'read');
  assert.throws(() => provenanceOf(r2, ['new-run']), /history run new-run: provenance: unilat: expected string/);
  r2.close();
});

test('historySeries: pooled figures of finished runs, oldest first; a tampered figure is refused', () => {
  const file = join(dir, 'series.db');
  const db = openHistory(file);
  const row = (metric: string, value: number) => ({ deployment: 'bare', benchmark: 'w', host: 'h', repetition: null, metric, value });
  recordRun(db, runRecord('b', [], { startedAt: '2026-01-02T00:00:00Z' }), [row('p99', 20), row('p90', 1), { ...row('p99', 99), repetition: 1 }]);
  recordRun(db, runRecord('a', [], { startedAt: '2026-01-01T00:00:00Z' }), [row('p99', 10), row('syscall.getppid', 5)]);
  recordRun(db, runRecord('c', [], { startedAt: '2026-01-03T00:00:00Z', status: 'aborted' }), [row('p99', 30)]);
  const s = historySeries(db, { metrics: ['p99', 'syscall.*'] });
  assert.deepEqual(s.map((x) => [x.metric, x.runIds, x.values]).sort(), [['p99', ['a', 'b'], [10, 20]], ['syscall.getppid', ['a'], [5]]]);
  assert.deepEqual(historySeries(db, { metrics: ['p99'], limit: 1 }).map((x) => x.runIds), [['b']]);
  db.prepare("UPDATE metrics SET value = 'x' WHERE run_id = 'b' AND metric = 'p99' AND repetition IS NULL").run();
  assert.throws(() => historySeries(db, { metrics: ['p99'] }), /history run b: metric bare\/w\/h\/p99: not a finite number \(x\)/);
  db.close();
});
