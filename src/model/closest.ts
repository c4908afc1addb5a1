// A name mistyped by a person (a report type, a query field, a filter): the one it was surely meant to be, so that an
// error can say "did you mean groupBy?" rather than only list every name there is.

/** Whether `a` turns into `b` by at most one edit: a letter added, dropped, changed, or two neighbours swapped. */
function oneEditApart(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    const swapped = a[i] === b[i + 1] && a[i + 1] === b[i];
    return a.slice(i + 1) === b.slice(i + 1) || (swapped && a.slice(i + 2) === b.slice(i + 2));
  }
  const [shorter, longer] = a.length < b.length ? [a, b] : [b, a];
  return shorter.slice(i) === longer.slice(i + 1);
}

/**
 * The one of `names` that `given` differs from only in case, or by one edit (ignoring case) when it is 4 characters
 * or more: short names are too near each other to guess between. Undefined when none or several are that near.
 */
export function closestName(given: string, names: readonly string[]): string | undefined {
  const lower = given.toLowerCase();
  const sameCase = names.filter((name) => name.toLowerCase() === lower && name !== given);
  if (sameCase.length > 0) return sameCase.length === 1 ? sameCase[0] : undefined;
  if (lower.length < 4) return undefined;
  const near = names.filter((name) => name !== given && oneEditApart(lower, name.toLowerCase()));
  return near.length === 1 ? near[0] : undefined;
}

/** ` (did you mean <name>?)` for a name closestName finds, else nothing: to append to an error about `given`. */
export function didYouMean(given: string, names: readonly string[]): string {
  const name = closestName(given, names);
  return name === undefined ? '' : ` (did you mean ${name}?)`;
}
