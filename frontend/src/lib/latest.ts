// Helpers for calls whose answers may come back out of order.

/**
 * Wraps an async function so that only the answer to the most recent call is
 * delivered; answers to earlier calls are dropped. Used for validate-as-you-type.
 */
export function latestOnly<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  deliver: (result: R) => void,
  fail: (e: unknown) => void = () => {},
): (...args: A) => void {
  let seq = 0;
  return (...args: A) => {
    const mine = ++seq;
    fn(...args).then(
      (r) => mine === seq && deliver(r),
      (e) => mine === seq && fail(e),
    );
  };
}

/** Delays calls until `ms` have passed without a new one. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & { flush(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: A | undefined;
  const run = () => {
    timer = undefined;
    if (pending) {
      const args = pending;
      pending = undefined;
      fn(...args);
    }
  };
  const d = (...args: A) => {
    pending = args;
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
  d.flush = () => {
    clearTimeout(timer);
    run();
  };
  return d;
}
