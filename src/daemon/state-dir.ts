import fs from 'node:fs';
import path from 'node:path';
import { JobctlError } from '../shared/errors.js';

/**
 * state/ holds what the daemon writes and later trusts (its journal of pids to signal, the
 * log files it appends to). It must be the daemon user's own, a real directory, and so must
 * its logs/ and runs/: otherwise another user could plant a symlink or forge a record.
 */
export function checkStateOwner(stateDir: string, uid = process.getuid?.()): void {
  if (uid === undefined) return;
  for (const dir of [stateDir, path.join(stateDir, 'logs'), path.join(stateDir, 'runs')]) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(dir);
    } catch {
      continue; // created by the daemon itself
    }
    if (!st.isDirectory()) throw new JobctlError('PERMISSION_DENIED', `${dir} is not a directory (a symlink?): remove it; the daemon creates its own`);
    if (st.uid !== uid) throw new JobctlError('PERMISSION_DENIED', `${dir} belongs to uid ${st.uid}, not to the daemon's user (uid ${uid}): refusing to trust it; \`chown -R ${uid} ${stateDir}\` or run the daemon as its owner`);
  }
}
