import { KEYS } from './keys.js';

export function Help({ onClose }: { onClose(): void }) {
  return (
    <div className="modal-back" onClick={onClose}>
      <div className="modal help" role="dialog" aria-modal="true" aria-label="keys" onClick={(e) => e.stopPropagation()}>
        <h3>Keys</h3>
        <table>
          <tbody>{KEYS.map((k) => <tr key={k.key}><td><kbd>{k.key}</kbd></td><td>{k.action}</td></tr>)}</tbody>
        </table>
        <p className="hint">Stop and kill ask first, as in <code>jobctl tui</code>.</p>
        <div className="modal-buttons"><button type="button" onClick={onClose}>Close <kbd>esc</kbd></button></div>
      </div>
    </div>
  );
}
