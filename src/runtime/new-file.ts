import fs from 'node:fs';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

/**
 * A file created here and now: never a symlink planted at its name (O_NOFOLLOW), never a
 * file someone else made there, such as a hard link to a root-owned file (O_EXCL). What was
 * at the name before is unlinked first (the link itself, never what it points to): a temp
 * file left by a writer that died, or a planted one. The daemon may be root; state/ is
 * written through these.
 */
const NEW_NOFOLLOW = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;

export function writeNewFile(file: string, data: string | Uint8Array, mode = 0o600): void {
  fs.rmSync(file, { force: true });
  const fd = fs.openSync(file, NEW_NOFOLLOW, mode);
  try {
    fs.writeFileSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
}

export async function writeNewFileAsync(file: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  await fs.promises.rm(file, { force: true });
  const h = await fs.promises.open(file, NEW_NOFOLLOW, mode);
  try {
    await h.writeFile(data);
  } finally {
    await h.close();
  }
}

/**
 * Replace `file` in one step: `data` goes to the new temp file `tmp` (see writeNewFile), which
 * is renamed over it; a reader sees the old file or the new one. The temp file is removed
 * when anything fails (half a file on a full disk would hold the very space that is missing).
 */
export function replaceFile(file: string, tmp: string, data: string | Uint8Array, mode = 0o600): void {
  try {
    writeNewFile(tmp, data, mode);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
