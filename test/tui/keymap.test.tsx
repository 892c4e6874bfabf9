import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/tui/components/App.js';
import { KEYMAP, KEYS, type KeyBinding, type KeyScope } from '../../src/tui/keys.js';
import { FakeBackend, daemonTask, eventually, mounted } from './fake-backend.js';

/** What a terminal sends for each of Ink's key flags the keymap uses. */
const SEQUENCE: Record<NonNullable<KeyBinding['key']>[number], string> = {
  upArrow: '\u001b[A', downArrow: '\u001b[B', rightArrow: '\u001b[C', leftArrow: '\u001b[D',
  pageUp: '\u001b[5~', pageDown: '\u001b[6~', end: '\u001b[F', return: '\r', escape: '\u001b',
};
/** The key that opens each view from the task list ('' for the list itself). */
const OPEN: Record<KeyScope, string> = { list: '', log: 'l', help: '?', filter: '/', confirm: 'x' };

/** Every press of every binding: each of its inputs and each of its key flags. */
const presses = KEYMAP.flatMap((b) => [...(b.input ?? []).map((i) => ({ b, label: i, bytes: i })), ...(b.key ?? []).map((k) => ({ b, label: k, bytes: SEQUENCE[k] }))]);

async function open(scope: KeyScope) {
  const backend = new FakeBackend();
  const actions: string[] = [];
  const app = render(<App backend={backend} flushMs={5} onAction={(s, a) => actions.push(`${s}:${a}`)} />);
  mounted.push(app);
  backend.snapshot([daemonTask('mailer')]);
  await eventually(() => expect(app.lastFrame() ?? '').toContain('mailer'));
  await eventually(() => expect(backend.follows.length).toBeGreaterThan(0));
  if (OPEN[scope]) {
    app.stdin.write(OPEN[scope]);
    await eventually(() => expect(actions.length).toBe(1));
  }
  return { app, actions };
}

describe('TUI keymap (keys.ts KEYS)', () => {
  it('every binding is in the help and the footer: the keymap is what they show', () => {
    for (const doc of KEYS) expect(doc.bindings.length, doc.key).toBeGreaterThan(0);
    const scopes = new Set(KEYMAP.map((b) => b.scope));
    expect([...scopes].sort()).toEqual(['confirm', 'filter', 'help', 'list', 'log']);
    // One key means one action in a view.
    const seen = new Map<string, string>();
    for (const p of presses) {
      const at = `${p.b.scope} ${p.label}`;
      expect(seen.get(at) ?? p.b.action, at).toBe(p.b.action);
      seen.set(at, p.b.action);
    }
  });

  it.each(presses.map((p) => [`${p.b.scope}: ${p.label} → ${p.b.action}`, p] as const))('%s', async (_, { b, bytes }) => {
    const { app, actions } = await open(b.scope);
    const before = actions.length;
    app.stdin.write(bytes);
    await eventually(() => expect(actions.slice(before)).toEqual([`${b.scope}:${b.action}`]));
  });
});
