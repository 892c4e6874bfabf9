/** "did you mean" for misspelled keys and enum values. */

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate within a typo's reach, or undefined. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = distance(needle, c.toLowerCase());
    if (d < bestScore) {
      bestScore = d;
      best = c;
    }
  }
  const reach = Math.max(2, Math.floor(needle.length / 3));
  return bestScore <= reach ? best : byPart(needle, candidates);
}

/**
 * A name the input is the first part of, or a whole part of (`hi` -> `hi-worker`, `worker` ->
 * `hi-worker`): the shortest such, when no candidate is within a typo's reach.
 */
function byPart(needle: string, candidates: readonly string[]): string | undefined {
  if (needle.length < 2) return undefined;
  const hits = candidates.filter((c) => {
    const lower = c.toLowerCase();
    return lower.startsWith(needle) || lower.split(/[-_.]/).includes(needle);
  });
  return hits.sort((a, b) => a.length - b.length || a.localeCompare(b))[0];
}

/** ` (did you mean "x"?)` or the empty string. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const hit = closest(input, candidates);
  return hit === undefined ? '' : ` (did you mean "${hit}"?)`;
}
