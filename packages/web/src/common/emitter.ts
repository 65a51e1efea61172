/** Minimal typed event emitter (no Node `events` in the browser bundle). */
export class Emitter<Events extends Record<string, unknown>> {
  private readonly handlers = new Map<keyof Events, Set<(value: never) => void>>();

  on<K extends keyof Events>(type: K, fn: (value: Events[K]) => void): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(fn as (value: never) => void);
    return () => set!.delete(fn as (value: never) => void);
  }

  emit<K extends keyof Events>(type: K, value: Events[K]): void {
    for (const fn of [...(this.handlers.get(type) ?? [])]) {
      try {
        (fn as (value: Events[K]) => void)(value);
      } catch (err) {
        // One broken listener must not stop the socket loop.
        console.error(`taiku: ${String(type)} listener failed`, err);
      }
    }
  }
}
