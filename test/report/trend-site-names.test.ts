/** The trend site's page names and links: safe file names, one per series, relative links that survive odd folder names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hrefFrom, seriesFile } from '../../src/report/trend-site.js';

const key = (scenario: string, metric = 'p99') => ({ scenario, benchmark: 'wakeup', deployment: 'bare', host: 'local', metric });

test('series page names: no separators or leading dots, bounded, distinct where names fold alike', () => {
  const names = ['../../etc/passwd', '..', 'a/b', 'a_b', 'a b', 'a?b', '.hidden', 'x'.repeat(500), `<script>`, 'ünïcode'].map((s) => seriesFile(key(s)));
  for (const n of names) {
    assert.match(n, /^series-[A-Za-z0-9_.-]+\.html$/, n);
    assert.ok(!n.includes('/') && !n.includes('..'), n);
    assert.ok(n.length <= 110, n);
  }
  assert.equal(new Set(names).size, names.length, names.join('\n'));
  // The same series keeps its page from one night to the next.
  assert.equal(seriesFile(key('nightly')), seriesFile(key('nightly')));
  assert.notEqual(seriesFile(key('nightly', 'p99')), seriesFile(key('nightly', 'p99.9')));
});

test('links to run reports: relative, each segment percent-encoded', () => {
  assert.equal(hrefFrom('/srv/reports/site', '/srv/reports/run 1#x?/report.html'), '../run%201%23x%3F/report.html');
  assert.equal(hrefFrom('/srv/site', '/srv/reports/r/report.html'), '../reports/r/report.html');
});
