// A minimal typed event emitter for the browser (the SDK has no dependencies).
type Handler = (...args: unknown[]) => void;

export class Emitter<Events extends Record<string, unknown[]>> {
  private readonly handlers = new Map<keyof Events, Set<Handler>>();

  on<K extends keyof Events>(event: K, handler: (...args: Events[K]) => void): this {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as unknown as Handler);
    return this;
  }

  off<K extends keyof Events>(event: K, handler: (...args: Events[K]) => void): this {
    this.handlers.get(event)?.delete(handler as unknown as Handler);
    return this;
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    for (const handler of [...(this.handlers.get(event) ?? [])]) {
      try {
        handler(...args);
      } catch (error) {
        // A faulty listener must not break the SDK's own state machine.
        console.error(`castbridge sdk: a "${String(event)}" listener threw`, error);
      }
    }
  }
}
