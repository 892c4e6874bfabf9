import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface OpenedPage {
  /** The file the browser was given (it redirects to the address with the token). */
  file: string;
  /** Remove the file (the server is closing). Safe to call twice. */
  remove(): void;
}

/**
 * Opens the page in the default browser without putting the token on a command line:
 * `xdg-open URL` would show it in every user's `ps` (and in the browser's own argv for as
 * long as it runs), while any local user can reach a loopback port. As Jupyter does
 * (jpserver-PID-open.html), the browser gets a file only this user can read, which
 * redirects to the address with the token.
 */
export function openPage(url: string, onError: () => void, opener = process.platform === 'darwin' ? 'open' : 'xdg-open'): OpenedPage {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobctl-web-'));
  const file = path.join(dir, 'open.html');
  const attr = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  fs.writeFileSync(file, `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${attr}"><title>jobctl web</title><p><a href="${attr}">Open jobctl web</a></p>\n`, { mode: 0o600 });
  const child = spawn(opener, [pathToFileURL(file).href], { detached: true, stdio: 'ignore' });
  child.once('error', onError);
  child.unref();
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
