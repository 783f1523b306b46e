import { readFileSync } from 'node:fs';

/** The package version, read once from package.json next to dist/. */
export const VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;
  } catch {
    return '0.0.0';
  }
})();

/** Root of the installed package (holds src/probe/probe.c, scenarios/). */
export const PACKAGE_ROOT = new URL('../../', import.meta.url);
