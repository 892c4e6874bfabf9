import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StateStore } from '../../src/runtime/state-store.js';
import { tempDir } from '../helpers/temp.js';

const temps: Array<() => void> = [];
afterAll(() => temps.forEach((c) => c()));
function dbPath(): string {
  const t = tempDir();
  temps.push(t.cleanup);
  return path.join(t.dir, 'state', 'db.json');
}

describe('StateStore', () => {
  it('coalesces many changes into few atomic writes', async () => {
    const file = dbPath();
    const store = await StateStore.open(file, { writeDelayMs: 50 });
    for (let i = 0; i < 1000; i++) {
      store.data.lastScheduled[`t${i}`] = i;
      store.changed();
    }
    await store.close();
    expect(store.writes).toBe(1);
    const again = await StateStore.open(file);
    expect(Object.keys(again.data.lastScheduled)).toHaveLength(1000);
    await again.close();
    await again.close();
  });

  it('moves a corrupt file aside with a warning and starts clean', async () => {
    const file = dbPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"version":1,"children":{'); // torn write
    const warnings: string[] = [];
    const store = await StateStore.open(file, { onWarning: (w) => warnings.push(w) });
    expect(store.data.children).toEqual({});
    expect(warnings[0]).toMatch(/was unreadable .*moved it to .*db\.json\.corrupt-\d+ and started clean/);
    const aside = fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith('db.json.corrupt-'));
    expect(aside).toHaveLength(1);
    store.data.lastScheduled.x = 1;
    store.changed();
    await store.close();
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).lastScheduled).toEqual({ x: 1 });
  });

  it('treats a file of the wrong shape as corrupt', async () => {
    const file = dbPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '[1,2,3]');
    const warnings: string[] = [];
    const store = await StateStore.open(file, { onWarning: (w) => warnings.push(w) });
    expect(store.data.version).toBe(1);
    expect(warnings).toHaveLength(1);
    await store.close();
  });
});
