import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

const TASKS = 'tasks:\n  w:\n    command: sleep 1000\n    notify: {to: [ops]}\n';

describe('daemon: <home>/jobctl.yaml', () => {
  afterEach(async () => {
    expect(await cleanupDaemons()).toEqual([]);
  });

  it('a notifier defined in jobctl.yaml serves tasks; a broken file is reported live and the last good one stays', async () => {
    const home = makeHome({ 'tasks/app.yaml': TASKS, 'jobctl.yaml': 'notifiers:\n  ops: {url: "http://127.0.0.1:9/hook"}\n' });
    const d = await startTestDaemon(home);
    const c = await d.client();
    let s = await c.call('status', {});
    expect(s.daemon.configErrors).toEqual([]);
    expect(s.tasks.map((t) => t.name)).toEqual(['w']);

    // Broken: reported at its line and column without a reload; the task keeps its notifier.
    fs.writeFileSync(path.join(home, 'jobctl.yaml'), 'notifiers:\n  ops: {url: "http://127.0.0.1:9/hook"}\nmetrcs: {}\n');
    await waitFor(async () => (await c.call('status', {})).daemon.configErrors.length > 0, 5000, 'host settings error');
    s = await c.call('status', {});
    expect(s.daemon.configErrors).toEqual([expect.objectContaining({ file: 'jobctl.yaml', line: 3, col: 1, message: expect.stringContaining('unknown key "metrcs" (did you mean "metrics"?)') })]);
    expect(s.tasks.map((t) => t.name)).toEqual(['w']);

    // Removed: the notifier goes, so the task file that names it is now the error.
    fs.rmSync(path.join(home, 'jobctl.yaml'));
    await waitFor(async () => (await c.call('status', {})).daemon.configErrors.some((e) => e.file === 'tasks/app.yaml'), 5000, 'task error');
    s = await c.call('status', {});
    expect(s.daemon.configErrors.map((e) => e.message)).toEqual([expect.stringContaining('unknown notifier "ops"')]);

    // Back: everything clean again.
    fs.writeFileSync(path.join(home, 'jobctl.yaml'), 'notifiers:\n  ops: {url: "http://127.0.0.1:9/hook"}\n');
    await waitFor(async () => (await c.call('status', {})).daemon.configErrors.length === 0, 5000, 'errors cleared');
    c.close();
  });
});
