#!/usr/bin/env node
// Builds native/spawn.c (the posix_spawn spawner) into native/build/jobctl_spawn.node with the
// machine's C compiler and Node-API headers: the headers next to the node binary, the
// system's, or the node-api-headers package. Node-API is ABI-stable, so one build serves
// every Node version. Where it cannot be built, it says so in one line and jobctl starts
// processes with child_process (every guarantee kept, more event-loop time per start).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'native', 'spawn.c');
const out = path.join(root, 'native', 'build', 'jobctl_spawn.node');
const say = (m) => console.error(`build-native: ${m}`);

if (process.platform !== 'linux') {
  say('not Linux: processes are started with child_process');
  process.exit(0);
}
if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(src).mtimeMs && process.env.JOBCTL_REBUILD_NATIVE !== '1') process.exit(0);

function headerDirs() {
  const dirs = [path.join(path.dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
  try {
    dirs.push(path.join(path.dirname(createRequire(import.meta.url).resolve('node-api-headers/package.json')), 'include'));
  } catch {
    /* not installed */
  }
  return dirs.filter((d) => fs.existsSync(path.join(d, 'node_api.h')));
}

const include = headerDirs()[0];
if (!include) {
  say('no Node-API headers found (install node-api-headers, or Node with its include/ folder): processes are started with child_process');
  process.exit(0);
}
const tmp = `${out}.${process.pid}.tmp`;
fs.mkdirSync(path.dirname(out), { recursive: true });
const cc = process.env.CC || 'cc';
try {
  execFileSync(cc, ['-O2', '-Wall', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=jobctl_spawn', `-I${include}`, src, '-o', tmp, '-lpthread'], { stdio: ['ignore', 'ignore', 'pipe'] });
  fs.renameSync(tmp, out);
} catch (e) {
  fs.rmSync(tmp, { force: true });
  const why = e.code === 'ENOENT' ? `no C compiler (${cc})` : String(e.stderr ?? e.message).trim().split('\n')[0];
  say(`could not build the native spawner (${why}): processes are started with child_process`);
}
