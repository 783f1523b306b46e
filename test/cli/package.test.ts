/** What `npm pack` ships: the CLI and its documents, not the compiled tests or source maps. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ROOT } from '../helpers/cli.js';

test('npm pack ships dist/src, docs, BENCHMARKS.md, LICENSE and the schema, not dist/test or source maps', () => {
  // --ignore-scripts: `prepare` would rebuild dist/ under the running tests.
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const files = (JSON.parse(out) as [{ files: { path: string }[] }])[0].files.map((f) => f.path);
  for (const f of ['bin/unilat.js', 'dist/src/cli/main.js', 'src/probe/probe.c', 'LICENSE', 'BENCHMARKS.md', 'docs/guests.md', 'scenario.schema.json', 'scenarios/quickstart.yaml', 'scripts/fetch-kernels.sh'])
    assert.ok(files.includes(f), `${f} is shipped`);
  assert.deepEqual(files.filter((f) => f.startsWith('dist/test/') || f.endsWith('.map')), []);
});
