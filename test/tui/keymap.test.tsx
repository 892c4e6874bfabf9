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

/** A key each view runs and stays in: pressed after a key that must do nothing, to know it did nothing. */
const PROBE: Record<KeyScope, [string, string]> = { list: ['?', 'list:help'], log: ['w', 'log:wrap'], help: ['?', 'help:close'], filter: ['\r', 'filter:keep'], confirm: ['?', 'list:help'] };
/** Ctrl and Alt with each bound letter (Ctrl-H, -I, -J, -M are Backspace, Tab, Enter: other keys). */
const modified = [...new Map(KEYMAP.flatMap((b) => (b.input ?? []).filter((i) => /^[a-z]$/i.test(i)).flatMap((i) => [
  ...('hijm'.includes(i.toLowerCase()) ? [] : [{ scope: b.scope, label: `Ctrl-${i.toUpperCase()}`, bytes: String.fromCharCode(i.toLowerCase().charCodeAt(0) & 0x1f) }]),
  { scope: b.scope, label: `Alt-${i}`, bytes: `\u001b${i}` },
])).map((p) => [`${p.scope} ${p.bytes}`, p] as const)).values()];

describe('TUI keymap (keys.ts KEYS)', () => {
  // Ink reads Ctrl-R as `r` with ctrl and Alt-x as `x` with meta: Ctrl-R restarted the task, Ctrl-T
  // ran it, Ctrl-L (redraw, by habit) opened the log, Ctrl-Y answered yes, none of them in the help.
  it.each(modified.map((p) => [`${p.scope}: ${p.label} runs nothing`, p] as const))('%s', async (_, { scope, bytes }) => {
    const { app, actions } = await open(scope);
    const before = actions.length;
    app.stdin.write(bytes);
    app.stdin.write(PROBE[scope][0]);
    await eventually(() => expect(actions.slice(before)).toContain(PROBE[scope][1]));
    expect(actions.slice(before)).toEqual([PROBE[scope][1]]);
  });

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

  it('a key that works only in the full-screen log says so in the help (G/End did not: pressed in the list, nothing)', () => {
    const same = (a: KeyBinding, b: KeyBinding) => (a.input ?? []).some((i) => b.input?.includes(i)) || (a.key ?? []).some((k) => b.key?.includes(k));
    for (const doc of KEYS) {
      const logOnly = doc.bindings.filter((b) => b.scope === 'log' && !KEYMAP.some((l) => l.scope === 'list' && same(b, l)));
      if (logOnly.length) expect(doc.action, `${doc.key}: ${logOnly.map((b) => b.action).join(', ')}`).toContain('log view');
    }
  });

  it.each(presses.map((p) => [`${p.b.scope}: ${p.label} → ${p.b.action}`, p] as const))('%s', async (_, { b, bytes }) => {
    const { app, actions } = await open(b.scope);
    const before = actions.length;
    app.stdin.write(bytes);
    await eventually(() => expect(actions.slice(before)).toEqual([`${b.scope}:${b.action}`]));
  });
});
