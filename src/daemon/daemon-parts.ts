/** A part of a running daemon: its name and how it stops. */
interface Part {
  name: string;
  stop: () => unknown;
}

/**
 * The parts of a running daemon by name, and the one order they stop in: the reverse of the
 * order they came up, except a part placed `stopsJustBefore` another (the socket closes after
 * the tasks have stopped, just before the lock goes). `startDaemon` wires the parts; this
 * owns the order, so it can be read (`stopOrder`) and tested.
 */
export class DaemonParts {
  /** In stop order. */
  private readonly parts: Part[] = [];
  private stopping: Promise<void> | undefined;

  /** A part is up: it stops before every part that came up earlier. */
  up(name: string, stop: () => unknown, opts: { stopsJustBefore?: string } = {}): void {
    if (this.parts.some((p) => p.name === name)) throw new Error(`daemon part "${name}" is up already`);
    const part = { name, stop };
    const at = opts.stopsJustBefore === undefined ? 0 : this.parts.findIndex((p) => p.name === opts.stopsJustBefore);
    if (at < 0) throw new Error(`daemon part "${opts.stopsJustBefore}" is not up`);
    this.parts.splice(at, 0, part);
  }

  /** The names, in the order they stop. */
  stopOrder(): string[] {
    return this.parts.map((p) => p.name);
  }

  /** Stop every part in order; one that fails does not hold the others back (`onError` hears of it). Safe to call twice. */
  stop(onError: (name: string, e: unknown) => void): Promise<void> {
    this.stopping ??= (async () => {
      for (const p of this.parts) {
        try {
          await p.stop();
        } catch (e) {
          onError(p.name, e);
        }
      }
    })();
    return this.stopping;
  }
}
