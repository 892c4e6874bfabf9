/**
 * The `depends_on` graph of tasks: edges point from a task to the tasks it depends on.
 * Pure helpers shared by config validation (cycles) and the start-order planner in core/.
 */

export type DependencyEdges = ReadonlyMap<string, readonly string[]>;

/**
 * A cycle as the list of its tasks, first repeated at the end (`a -> b -> a`), or undefined.
 * Edges to tasks that are not in the graph are ignored (an unknown task is its own error).
 */
export function findCycle(edges: DependencyEdges): string[] | undefined {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const color = new Map<string, number>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    color.set(node, GREY);
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue;
      const c = color.get(next) ?? WHITE;
      if (c === GREY) return [...stack.slice(stack.indexOf(next)), next];
      if (c === WHITE) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    color.set(node, BLACK);
    return undefined;
  };
  for (const node of [...edges.keys()].sort()) {
    if ((color.get(node) ?? WHITE) === WHITE) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Every task after the tasks it depends on (dependencies first), names sorted within a level
 * so the order is stable. Tasks in a cycle come last, in name order.
 */
export function dependencyOrder(edges: DependencyEdges): string[] {
  const out: string[] = [];
  const done = new Set<string>();
  const onPath = new Set<string>();
  const visit = (node: string): void => {
    if (done.has(node) || onPath.has(node)) return;
    onPath.add(node);
    for (const dep of [...(edges.get(node) ?? [])].sort()) if (edges.has(dep)) visit(dep);
    onPath.delete(node);
    done.add(node);
    out.push(node);
  };
  for (const node of [...edges.keys()].sort()) visit(node);
  return out;
}
