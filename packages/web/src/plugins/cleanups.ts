/**
 * What a long-lived owner (the plugin runtime) must undo when it stops: listeners, streams, timers.
 * Its start may still be awaiting (the session, the catalog) when it is stopped: what it adds after
 * that is undone at once instead of outliving the page.
 */
export class Cleanups {
  private readonly fns: Array<() => void> = [];
  private done = false;

  get stopped(): boolean {
    return this.done;
  }

  add(...fns: Array<() => void>): void {
    if (this.done) for (const fn of fns) fn();
    else this.fns.push(...fns);
  }

  /** Undo everything added so far, in the order added; what is added later is undone at once. */
  stop(): void {
    this.done = true;
    for (const fn of this.fns.splice(0)) fn();
  }
}
