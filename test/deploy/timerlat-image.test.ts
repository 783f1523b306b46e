/**
 * The guest tool image behind kind: timerlat (deploy/guest/tool.ts), without booting it: the
 * libraries ldd names for this machine's rtla, the image's layout read back by GNU cpio, and
 * the tool script's sections as sh prints them, split again.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { sharedLibraries, toolImage, toolScript, toolSections } from '../../src/deploy/guest/tool.js';

describe('guest tool image', () => {
  it("names rtla's shared libraries and its loader; a static program has none", async () => {
    const libs = await sharedLibraries('/usr/bin/rtla');
    for (const want of [/\/libtracefs\.so\.\d+$/, /\/libtraceevent\.so\.\d+$/, /\/libc\.so\.6$/, /^\/lib64\/ld-linux-x86-64\.so\.2$/]) assert.ok(libs.some((l) => want.test(l)), `${want} in ${libs.join(' ')}`);
    assert.deepEqual(await sharedLibraries('/bin/busybox'), []);
  });

  it('carries rtla and its libraries at their paths, parents first, BusyBox and the script', async () => {
    const img = await toolImage({ programs: ['/usr/bin/rtla'], script: 'section x\necho hi' });
    assert.deepEqual(img.cmdline, ['rdinit=/init']);
    const names = execFileSync('cpio', ['-it', '--quiet'], { input: gunzipSync(readFileSync(img.path)), encoding: 'utf8' }).trim().split('\n');
    for (const p of ['init', 'unilat/tool.sh', 'bin/busybox', 'bin/sh', 'bin/grep', 'usr/bin/rtla', 'lib64/ld-linux-x86-64.so.2']) assert.ok(names.includes(p), `${p} in the image`);
    for (const lib of await sharedLibraries('/usr/bin/rtla')) assert.ok(names.includes(lib.slice(1)), lib);
    names.forEach((n, i) => {
      const parent = n.includes('/') ? n.slice(0, n.lastIndexOf('/')) : null;
      if (parent) assert.ok(names.indexOf(parent) >= 0 && names.indexOf(parent) < i, `${parent} listed before ${n}`);
    });
    const again = await toolImage({ programs: ['/usr/bin/rtla'], script: 'section x\necho hi' });
    assert.equal(again.path, img.path, 'the same inputs find the cached image');
  });

  it("the script's output splits into its sections; markers of other kinds belong to none", () => {
    const out = execFileSync('sh', ['-c', toolScript('section facts\necho "cpus 2"\nsection stdout\nprintf "a\\nb\\n"\nexit 3')], { encoding: 'utf8' });
    assert.match(out, /^@@UNILAT \{"type":"tool"\}\n/);
    assert.match(out, /\n@@UNILAT \{"type":"end","steps":1,"failed":0\}\n$/, 'end comes after a script that exits');
    const s = toolSections(out.replace(/\n/g, '\r\n'));
    assert.equal(s.get('facts'), 'cpus 2\n');
    assert.equal(s.get('stdout'), 'a\nb\n');
    assert.deepEqual([...s.keys()], ['', 'facts', 'stdout']);
  });
});
