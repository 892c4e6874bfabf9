import { hueOf, type Hue } from '../view/state-hue.js';

/** A state word's Ink color (the one table, src/view/state-hue.ts); `dim` is drawn gray. */
export function inkColor(word: string, otherwise?: string): string | undefined {
  const hue: Hue | undefined = hueOf(word);
  return hue === undefined ? otherwise : hue === 'dim' ? 'gray' : hue;
}

export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length > width) return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
  return text.padEnd(width);
}
