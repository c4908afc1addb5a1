// An error's causes as one line of text: shared by the service's logs and the plugin backend's, where an outer
// message alone ("fetch failed") leaves out why.

export type Caused = Error & { errors?: unknown };

/** By its `message`, not by `instanceof Error`: an error made in another realm is no instance of this one's Error. */
export const isErrorLike = (value: unknown): value is Caused => typeof (value as Error | null | undefined)?.message === 'string';

/** A cause that is no error but text (`new Error(m, { cause: 'why' })`): pino's serializers leave it out. */
export const isTextCause = (cause: unknown) => cause !== undefined && cause !== null && typeof cause !== 'object' && typeof cause !== 'function';

/** `err` and its causes, as far as they are errors, and the text that ends the chain when a cause is that. */
export function causeChain(err: Error): { errors: Caused[]; text?: string } {
  const errors: Caused[] = [];
  let next: unknown = err;
  while (isErrorLike(next) && !errors.includes(next)) {
    errors.push(next);
    next = next.cause;
  }
  return { errors, text: isTextCause(next) ? String(next) : undefined };
}

/**
 * The message of `err` and of each cause, joined by ": " as pino joins them, with what pino's join leaves out: a cause
 * given as text, and the errors of an AggregateError among the causes (undici's "fetch failed" holds one when each of a
 * host's addresses refused), in brackets after its own message. `ownMembers`: `err`'s own errors too, when it is an
 * AggregateError (pino's JSON lines give those a field of their own). `within`: the errors being written around this
 * one, where a member's causes that lead back to one of them stop, instead of writing it again without end. `written`:
 * the errors whose members are written already; one met again (Promise.any([p, p]) holds one error twice) is its
 * message alone, or a nest of such pairs doubled the text at each level (25 levels took 77 s).
 */
export function chainMessage(err: Error, ownMembers = false, within: ReadonlySet<Error> = new Set(), written = new Set<Error>()): string {
  const chain = causeChain(err);
  const back = chain.errors.findIndex((e) => within.has(e));
  const errors = back < 0 ? chain.errors : chain.errors.slice(0, back);
  const text = back < 0 ? chain.text : undefined;
  const around = new Set([...within, ...errors]);
  const parts = errors.map((e, i) => {
    const again = written.has(e);
    written.add(e);
    const members = !again && (i > 0 || ownMembers) && Array.isArray(e.errors) ? e.errors.filter(isErrorLike) : [];
    const said = members.map((m) => chainMessage(m, true, around, written)).filter(Boolean);
    return said.length ? `${e.message ? `${e.message} ` : ''}[${said.join('; ')}]` : e.message;
  });
  return [...parts, ...(text === undefined ? [] : [text])].join(': ');
}
