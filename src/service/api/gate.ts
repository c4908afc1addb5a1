// How much answering the requests in flight may hold at once. Each POST /api/query is bounded by its budgets (5 M
// points, 100 000 rows), but each such answer took ~500 MB of the service's memory while it was built and sent, and
// four at once took it to 1.4 GB: the budgets held per request, not for the service.

/** A first-come, first-served weighted semaphore: a request waits until its weight fits beside those answering. */
export class WeightGate {
  private used = 0;
  private readonly waiting: Array<{ weight: number; grant: () => void }> = [];

  constructor(readonly capacity: number) {}

  /** How many requests wait for their turn (a metric). */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves with the release once `weight` fits (a weight over the capacity waits until nothing else runs), or at
   * once, with nothing to release, when `signal` aborts first: the caller then finds the signal aborted and answers so.
   */
  acquire(weight: number, signal?: AbortSignal): Promise<() => void> {
    const w = Math.min(weight, this.capacity);
    return new Promise((resolve) => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.used -= w;
        this.next();
      };
      const entry = {
        weight: w,
        grant: () => {
          signal?.removeEventListener('abort', abandon);
          this.used += w;
          resolve(release);
        },
      };
      const abandon = () => {
        const at = this.waiting.indexOf(entry);
        if (at >= 0) this.waiting.splice(at, 1);
        resolve(() => undefined);
        // The first in line may have waited behind this one.
        this.next();
      };
      if (signal?.aborted) return abandon();
      signal?.addEventListener('abort', abandon, { once: true });
      this.waiting.push(entry);
      this.next();
    });
  }

  private next(): void {
    // In order: a big request is not passed over for ever by a stream of small ones.
    while (this.waiting.length > 0 && (this.used === 0 || this.used + this.waiting[0].weight <= this.capacity)) {
      this.waiting.shift()!.grant();
    }
  }
}
