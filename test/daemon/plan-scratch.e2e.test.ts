import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupDaemons, makeHome, startTestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

afterAll(async () => {
  await cleanupDaemons();
});

describe('plan --rev copies left by a killed daemon', () => {
  it('are removed when the next daemon starts; other files in state/ stay', async () => {
    const home = makeHome({ 'tasks/a.yaml': 'tasks:\n  a:\n    command: sleep 1000\n' });
    const state = path.join(home, 'state');
    fs.mkdirSync(path.join(state, 'plan-Ab12Cd/tasks'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(state, 'plan-Ab12Cd/rev.tar'), 'x'.repeat(4096));
    fs.writeFileSync(path.join(state, 'plan-notes.txt'), 'mine');
    const d = await startTestDaemon(home);
    await waitFor(() => d.output().includes('removed state/plan-Ab12Cd'), 20_000, `the removal in the log:\n${d.output()}`);
    expect(fs.existsSync(path.join(state, 'plan-Ab12Cd'))).toBe(false);
    expect(fs.readFileSync(path.join(state, 'plan-notes.txt'), 'utf8')).toBe('mine');
  }, 60_000);
});
