/** Subscriptions of one daemon: their ids and how to end each. */
export class Subscriptions {
  private next = 1;
  private readonly offs = new Map<number, () => void>();

  id(): number {
    return this.next++;
  }

  add(id: number, off: () => void): void {
    this.offs.set(id, off);
  }

  /** End one; safe to call twice. */
  end(id: number): void {
    const off = this.offs.get(id);
    if (off) {
      this.offs.delete(id);
      off();
    }
  }
}
