import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { ChildConfigReader } from '../../src/daemon/config-reader.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The config reader is a child process per read (issue 28): whatever becomes of that child — it
 * is stopped, it hangs, node's path is gone under the daemon — a read ends, and the next one works.
 */

const tmp = tempDir('jobctl-config-reader-');
afterAll(() => tmp.cleanup());

function tasksDir(name: string): string {
  const dir = path.join(tmp.dir, name);
  fs.mkdirSync(dir, { recursive: true });
  writeFiles(dir, { 'a.yaml': 'tasks:\n  a1:\n    command: "true"\n' });
  return dir;
}

/** This process's children running the config reader. */
function readerChildren(): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const m = /^\d+ \(.*\) (\S) (\d+)/.exec(stat);
      if (!m || m[1] === 'Z' || Number(m[2]) !== process.pid) continue;
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('config-child')) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

describe.runIf(process.platform === 'linux')('the config reader child', () => {
  it('a reader that never answers (SIGSTOP) fails the read after the timeout, is killed, and the next read works', async () => {
    const from = tasksDir('stopped');
    const reader = new ChildConfigReader(1500);
    reader.prepare();
    const pid = await waitFor(() => readerChildren()[0], 10_000, 'the prepared reader');
    process.kill(pid!, 'SIGSTOP');
    const job = { from, displayDir: 'tasks', notifiersInForce: [] };
    await expect(reader.read(job)).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/did not answer within 2s; it was killed/) });
    await waitFor(() => readerChildren().length === 0, 10_000, 'the stopped reader gone');
    // The next read starts a fresh reader (from the sources here: node + tsx), which a loaded
    // machine may take longer than 1.5 s to bring up: what is asserted is that it reads at all.
    reader.timeoutMs = 60_000;
    const read = await reader.read(job);
    expect(read.set.tasks.map((t) => t.name)).toEqual(['a1']);
  });

  it('close() ends a prepared reader and a reading one and waits for them; later reads fail, prepare() starts none; twice is safe', async () => {
    const from = tasksDir('closed');
    // The readers of the tests before have answered; on a loaded machine one may still be exiting.
    await waitFor(() => readerChildren().length === 0, 30_000, 'earlier readers gone');
    const reader = new ChildConfigReader(60_000);
    reader.prepare();
    const prepared = await waitFor(() => readerChildren()[0], 10_000, 'the prepared reader');
    // A read under way, its reader held so that it is still reading at close().
    process.kill(prepared!, 'SIGSTOP');
    const job = { from, displayDir: 'tasks', notifiersInForce: [] };
    const reading = reader.read(job).catch((e: { message: string }) => e.message);
    reader.prepare();
    await waitFor(() => readerChildren().length === 1 || readerChildren().length === 2, 10_000, 'readers');
    await reader.close();
    // Gone when close() resolves, not a moment later (the daemon's stop counts on it).
    expect(readerChildren()).toEqual([]);
    // The read whose reader close() ended fails: it does not start a reader of its own.
    expect(await reading).toMatch(/shutting down/);
    expect(readerChildren()).toEqual([]);
    await expect(reader.read(job)).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    reader.prepare();
    expect(readerChildren()).toEqual([]);
    await reader.close();
  });

  it('reads when node\'s path is gone under the daemon (node removed or moved by an upgrade)', async () => {
    const from = tasksDir('moved');
    const node = path.join(tmp.dir, 'node-copy');
    fs.copyFileSync(process.execPath, node);
    fs.chmodSync(node, 0o755);
    const script = `
      import fs from 'node:fs';
      const { ChildConfigReader } = await import(${JSON.stringify(path.join(ROOT, 'dist/daemon/config-reader.js'))});
      fs.unlinkSync(process.execPath);
      const r = await new ChildConfigReader(20000).read({ from: ${JSON.stringify(from)}, displayDir: 'tasks', notifiersInForce: [] });
      console.log(JSON.stringify(r.set.tasks.map((t) => t.name)));`;
    const r = await execa(node, ['--input-type=module', '-e', script], { reject: false });
    expect(fs.existsSync(node)).toBe(false);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('["a1"]');
  });
});
