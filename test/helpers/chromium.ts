import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// Debian's chromium, headless, with no network of its own (no background fetches, no component or
// sync traffic) and a fresh profile per run. Console messages are read from its stderr log: with
// --enable-logging=stderr Chromium prints each page console message as `INFO:CONSOLE:line] "text", source: url`.

export function findChromium(): string | undefined {
  for (const candidate of [process.env.CHROMIUM_BIN, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export interface ChromiumRun {
  stdout: string;
  stderr: string;
  consoleErrors: string[];
}

export function runChromium(
  bin: string,
  file: string,
  options: { work: string; dumpDom?: boolean; screenshot?: string; size?: [number, number] },
): Promise<ChromiumRun> {
  const profile = mkdtempSync(join(options.work, 'profile-'));
  const [w, h] = options.size ?? [1200, 1800];
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-dev-shm-usage',
    `--user-data-dir=${profile}`,
    '--enable-logging=stderr',
    '--v=0',
    `--window-size=${w},${h}`,
    '--hide-scrollbars',
    ...(options.dumpDom ? ['--dump-dom'] : []),
    ...(options.screenshot ? [`--screenshot=${options.screenshot}`] : []),
    pathToFileURL(file).href,
  ];
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (error && !stdout && !(options.screenshot && existsSync(options.screenshot))) {
        reject(new Error(`chromium failed: ${error.message}\n${stderr}`));
        return;
      }
      const consoleErrors = stderr
        .split('\n')
        .filter((l) => /CONSOLE[:(]\d+\)?\]|Uncaught|Failed to load resource|ERR_[A-Z_]+.*file:/.test(l));
      resolve({ stdout, stderr, consoleErrors });
    });
  });
}
