import { useCallback, useRef, useState } from 'react';

/**
 * State plus a ref that changes at once: key handlers that run before the next render
 * (fast typing, pasted keys) read the latest value from the ref.
 */
export function useStateRef<T>(initial: T): [T, (next: T | ((prev: T) => T)) => void, { readonly current: T }] {
  const [value, setValue] = useState(initial);
  const ref = useRef(initial);
  const set = useCallback((next: T | ((prev: T) => T)) => {
    ref.current = typeof next === 'function' ? (next as (prev: T) => T)(ref.current) : next;
    setValue(ref.current);
  }, []);
  return [value, set, ref];
}
