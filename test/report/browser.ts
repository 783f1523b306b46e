/** Debian's headless Chromium, driven by playwright-core (no browser is downloaded), offline. */
import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

/** The installed Chromium: the first of chromium and chromium-browser on PATH. */
function chromiumPath(): string {
  const found = execFileSync('sh', ['-c', 'command -v chromium chromium-browser || true'], { encoding: 'utf8' }).split('\n')[0];
  if (!found) throw new Error('no chromium or chromium-browser on PATH');
  return found;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
