import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { HostView, Verb, WebTask } from '../../src/web/wire.js';
import { postAction } from './api.js';

/** Keys that are half of another (Shift for Y): they neither confirm nor cancel. */
const MODIFIERS = new Set(['Shift', 'Control', 'Alt', 'Meta', 'CapsLock', 'AltGraph']);

/** What asks first, as in the TUI: stop and kill. */
const CONFIRM: Partial<Record<Verb, (t: WebTask) => string>> = {
  stop: (t) => `stop ${t.name}${t.host ? ` on ${t.host}` : ''}?`,
  kill: (t) => `SIGKILL ${t.name}${t.host ? ` on ${t.host}` : ''}?`,
};

export const VERB_LABEL: Record<Verb, string> = { start: 'Start', stop: 'Stop', restart: 'Restart', rolling: 'Rolling restart', run: 'Run now', kill: 'Kill' };
/** In a row of the overview: short words. */
const SHORT: Record<Verb, string> = { start: 'start', stop: 'stop', restart: 'restart', rolling: 'roll', run: 'run', kill: 'kill' };
const VERB_KEY: Record<Verb, string> = { start: 's', stop: 'x', restart: 'r', rolling: 'R', run: 't', kill: 'K' };

interface Toast {
  id: number;
  ok: boolean;
  text: string;
}

interface ActionsApi {
  /** Perform a verb on a task, asking first where the TUI does. */
  ask(verb: Verb, t: WebTask): void;
  /** A dialog is open (the page's keys wait). */
  busy: boolean;
}

const Ctx = createContext<ActionsApi>({ ask: () => undefined, busy: false });
export const useActions = () => useContext(Ctx);

let nextToast = 1;

export function ActionsProvider({ children }: { children: ReactNode }) {
  const [pending, setPending] = useState<{ verb: Verb; task: WebTask } | undefined>();
  const [toasts, setToasts] = useState<Toast[]>([]);

  const toast = useCallback((ok: boolean, text: string) => {
    const id = nextToast++;
    setToasts((ts) => [...ts.slice(-3), { id, ok, text }]);
    setTimeout(() => setToasts((ts) => ts.filter((x) => x.id !== id)), ok ? 4000 : 8000);
  }, []);

  const perform = useCallback((verb: Verb, task: WebTask) => {
    postAction({ key: task.key, verb }).then((r) => toast(true, r.message), (e: Error) => toast(false, e.message));
  }, [toast]);

  const ask = useCallback((verb: Verb, task: WebTask) => {
    if (CONFIRM[verb]) setPending({ verb, task });
    else perform(verb, task);
  }, [perform]);

  const confirm = useCallback((yes: boolean) => {
    if (pending && yes) perform(pending.verb, pending.task);
    else if (pending) toast(true, 'cancelled');
    setPending(undefined);
  }, [pending, perform, toast]);

  useEffect(() => {
    if (!pending) return;
    // As the TUI's [y/N]: y says yes, any other key (Enter, space, the key that opens a task) says no.
    const onKey = (e: KeyboardEvent) => {
      if (MODIFIERS.has(e.key)) return;
      confirm(e.key === 'y' || e.key === 'Y');
      e.preventDefault();
      e.stopPropagation();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [pending, confirm]);

  const api = useMemo(() => ({ ask, busy: pending !== undefined }), [ask, pending]);
  return (
    <Ctx.Provider value={api}>
      {children}
      {pending ? (
        <div className="modal-back" onClick={() => confirm(false)}>
          <div className="modal" role="alertdialog" aria-modal="true" aria-labelledby="confirm-q" onClick={(e) => e.stopPropagation()}>
            <p id="confirm-q">{CONFIRM[pending.verb]!(pending.task)}</p>
            <div className="modal-buttons">
              <button type="button" autoFocus onClick={() => confirm(false)}>Cancel <kbd>n</kbd></button>
              <button type="button" className="danger" data-confirm={pending.verb} onClick={() => confirm(true)}>{VERB_LABEL[pending.verb]} <kbd>y</kbd></button>
            </div>
          </div>
        </div>
      ) : null}
      <div className="toasts" aria-live="polite">
        {toasts.map((t) => <div key={t.id} className={`toast ${t.ok ? 'ok' : 'bad'}`}>{t.text}</div>)}
      </div>
    </Ctx.Provider>
  );
}

/** The verbs a task takes: a service task's or a cron task's. */
export function verbsFor(t: WebTask): Verb[] {
  return t.kind === 'cron' ? ['run', 'start', 'stop', 'kill'] : ['start', 'stop', 'restart', 'rolling', 'kill'];
}

/**
 * A row of the overview: the verbs that fit the task's state (start or stop, restart; run for a
 * cron task); the others are on the task page and on the keys (R rolling restart, K kill).
 */
export function rowVerbsFor(t: WebTask): Verb[] {
  if (!t.enabled) return [];
  const toggle: Verb = t.desired === 'running' && t.enabled ? 'stop' : 'start';
  return t.kind === 'cron' ? ['run', toggle] : [toggle, 'restart'];
}

/** The action buttons of a task; none where the connection may not control (a viewer, --read-only). */
export function ActionButtons({ task, host, compact }: { task: WebTask; host: HostView | undefined; compact?: boolean }) {
  const { ask } = useActions();
  if (!host?.canControl) return null;
  return (
    <span className={`actions${compact ? ' compact' : ''}`}>
      {(compact ? rowVerbsFor(task) : verbsFor(task)).map((v) => (
        <button
          key={v}
          type="button"
          className={v === 'stop' || v === 'kill' ? 'danger' : ''}
          data-verb={v}
          title={`${VERB_LABEL[v]} (${VERB_KEY[v]})`}
          onClick={(e) => {
            e.stopPropagation();
            ask(v, task);
          }}
        >
          {compact ? SHORT[v] : VERB_LABEL[v]}
        </button>
      ))}
    </span>
  );
}

/** The verb a key names (s, x, r, R, t, K), if any. */
export function verbForKey(key: string): Verb | undefined {
  return (Object.keys(VERB_KEY) as Verb[]).find((v) => VERB_KEY[v] === key);
}
