/**
 * A build of another revision, for `npm run bench -- --against REF`: a detached git worktree
 * under bench/.work/ref-<sha>, this checkout's node_modules linked in, built with its own
 * `npm run build`. Reused while REF names the same commit. Returns its dist/bin/jobctl.js.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { ROOT, WORK } from './tools.js';

export async function buildRef(ref: string): Promise<string> {
  const sha = (await execa('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: ROOT })).stdout.trim();
  const dir = path.join(WORK, `ref-${sha.slice(0, 12)}`);
  const cli = path.join(dir, 'dist/bin/jobctl.js');
  if (fs.existsSync(cli)) return cli;
  if (!fs.existsSync(dir)) {
    console.log(`building ${ref} (${sha.slice(0, 12)}) in ${path.relative(ROOT, dir)} …`);
    await execa('git', ['worktree', 'add', '--detach', dir, sha], { cwd: ROOT });
  }
  if (!fs.existsSync(path.join(dir, 'node_modules'))) fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  await execa('npm', ['run', 'build'], { cwd: dir, stdio: 'inherit' });
  return cli;
}
