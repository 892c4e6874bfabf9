import fs from 'node:fs';

/** Users and groups from /etc/passwd and /etc/group, for run-as. */

export interface UserEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function readLines(file: string): string[][] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** By name or numeric uid. */
export function lookupUser(nameOrId: string): UserEntry | undefined {
  const row = readLines('/etc/passwd').find((f) => f[0] === nameOrId || f[2] === nameOrId);
  if (!row) return undefined;
  return { name: row[0]!, uid: Number(row[2]), gid: Number(row[3]), home: row[5] ?? '/' };
}

/** A group's gid, by name or number. */
export function lookupGroup(nameOrId: string): number | undefined {
  const row = readLines('/etc/group').find((f) => f[0] === nameOrId || f[2] === nameOrId);
  return row ? Number(row[2]) : undefined;
}
