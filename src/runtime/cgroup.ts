import fs from 'node:fs';
import path from 'node:path';
import { readNumbers } from './small-file.js';
import { sha256Hex } from '../shared/sha256.js';

/**
 * Where this host's control groups are and what this process may do with them: the
 * cgroup v2 tree (pure at /sys/fs/cgroup, or hybrid at /sys/fs/cgroup/unified) for
 * containment (cgroup.kill, cgroup.procs, cgroup.events), and the controllers for
 * `limits:` and memory figures wherever they are mounted (v2, or v1 memory/pids/cpu on a
 * hybrid host). The home's subtree is made here; the leaves are made and removed by containment.ts.
 */

export type ControllerName = 'memory' | 'pids' | 'cpu';

export interface CgroupHost {
  /** The jobctl subtree of this home in the v2 tree: `<mount><own>/jobctl-<hash>`. */
  v2Base: string;
  /** Controllers enabled for the leaves in the v2 tree. */
  v2Controllers: ControllerName[];
  /** v1 hierarchies, for the controllers v2 lacks here: controller -> this home's subtree. */
  v1Bases: Partial<Record<ControllerName, string>>;
}

export interface CgroupProbe {
  host?: CgroupHost;
  /** Why there is no cgroup containment (shown by `jobctl status`). */
  reason?: string;
}

interface Mount {
  point: string;
  fstype: string;
  options: string[];
}

/** Mounts of type cgroup/cgroup2 from /proc/self/mountinfo. */
export function parseMountinfo(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    const fstype = right[0] ?? '';
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    out.push({ point: unescapeMount(left[4] ?? ''), fstype, options: (right[2] ?? '').split(',') });
  }
  return out;
}

const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** /proc/self/cgroup: hierarchy key ('' for v2, else the comma-joined controllers) -> path. */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** The subtree name of one home: a hash of its path, so two daemons never share one. */
export function homeCgroupName(home: string): string {
  const resolved = path.resolve(home);
  let name = cgroupNames.get(resolved);
  if (name === undefined) {
    name = `jobctl-${sha256Hex(resolved).slice(0, 12)}`;
    // A daemon asks for its own home's name several times at start (containment, registry, prune).
    if (cgroupNames.size >= 64) cgroupNames.clear();
    cgroupNames.set(resolved, name);
  }
  return name;
}

const cgroupNames = new Map<string, string>();

const CONTROLLERS: ControllerName[] = ['memory', 'pids', 'cpu'];

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Write a cgroup control file; false (not a throw) when the kernel refuses. */
export function writeControl(file: string, value: string): boolean {
  try {
    fs.writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Find what this daemon can use for one home, creating the home's subtree. `JOBCTL_CGROUPS=off`
 * turns cgroups off. Never throws: anything missing becomes `reason`.
 */
export function probeCgroups(home: string, env: NodeJS.ProcessEnv = process.env): CgroupProbe {
  if (process.platform !== 'linux') return { reason: 'not Linux' };
  if (env.JOBCTL_CGROUPS === 'off' || env.JOBCTL_CGROUPS === '0') return { reason: 'JOBCTL_CGROUPS=off' };
  const mounts = parseMountinfo(readText('/proc/self/mountinfo') ?? '');
  const own = parseProcCgroup(readText('/proc/self/cgroup') ?? '');
  const v2 = mounts.find((m) => m.fstype === 'cgroup2');
  if (!v2 || !own.has('')) return { reason: 'no cgroup v2 hierarchy mounted (v1-only host)' };
  const name = homeCgroupName(home);
  const ownV2 = path.join(v2.point, own.get('')!);
  const v2Base = path.join(ownV2, name);
  try {
    fs.mkdirSync(v2Base, { recursive: true });
  } catch (e) {
    return { reason: `cannot create ${v2Base} (${(e as NodeJS.ErrnoException).code ?? 'error'}): no cgroup delegation` };
  }
  if (!fs.existsSync(path.join(v2Base, 'cgroup.kill'))) {
    removeDir(v2Base);
    return { reason: 'cgroup v2 without cgroup.kill (kernel older than 5.14)' };
  }
  const v2Controllers = enableV2Controllers(ownV2, v2Base);
  const v1Bases: Partial<Record<ControllerName, string>> = {};
  for (const c of CONTROLLERS) {
    if (v2Controllers.includes(c)) continue;
    const m = mounts.find((x) => x.fstype === 'cgroup' && x.options.includes(c));
    if (!m) continue;
    const key = [...own.keys()].find((k) => k.split(',').includes(c));
    const base = path.join(m.point, key !== undefined ? own.get(key)! : '/', name);
    try {
      fs.mkdirSync(base, { recursive: true });
      v1Bases[c] = base;
    } catch {
      /* this controller is not ours to use */
    }
  }
  return { host: { v2Base, v2Controllers, v1Bases } };
}

/**
 * Turn on the v2 controllers this tree has for our leaves: in the daemon's own group and
 * in the home's subtree. Under systemd delegation the daemon's own group holds the daemon
 * (no internal processes allowed once controllers are on): it moves itself into a leaf.
 */
function enableV2Controllers(ownV2: string, v2Base: string): ControllerName[] {
  const available = (readText(path.join(ownV2, 'cgroup.controllers')) ?? '').trim().split(/\s+/);
  const wanted = CONTROLLERS.filter((c) => available.includes(c));
  if (wanted.length === 0) return [];
  const line = wanted.map((c) => `+${c}`).join(' ');
  const ownCtl = path.join(ownV2, 'cgroup.subtree_control');
  if (!writeControl(ownCtl, line)) {
    const leaf = path.join(ownV2, 'jobctl-supervisor');
    try {
      fs.mkdirSync(leaf, { recursive: true });
    } catch {
      return [];
    }
    if (!writeControl(path.join(leaf, 'cgroup.procs'), String(process.pid)) || !writeControl(ownCtl, line)) return [];
  }
  if (!writeControl(path.join(v2Base, 'cgroup.subtree_control'), line)) return [];
  const enabled = (readText(path.join(v2Base, 'cgroup.subtree_control')) ?? '').trim().split(/\s+/);
  return wanted.filter((c) => enabled.includes(c));
}

/** rmdir, tolerating a group already gone; false when it still has processes or children. */
export function removeDir(dir: string): boolean {
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** The pids in a group (cgroup.procs); [] when the group is gone. */
export function groupProcs(dir: string): number[] {
  return readNumbers(path.join(dir, 'cgroup.procs'));
}

export { readText as readControl };
