// The pages of an AWS listing (S3's ListObjectsV2, CloudTrail's ListTrails), fetched one after another by the token
// each gives for the next.

/**
 * The pages `fetch` gives, from none to the last (one that gives no token, or an empty one). A token given again (a
 * server's bug: AWS gives each once) fails with `repeated`'s words: the same pages were listed for ever, holding each
 * page's contents, until memory ran out.
 */
export async function* pagesByToken<P>(
  fetch: (token: string | undefined) => Promise<P>,
  nextToken: (page: P) => string | undefined,
  repeated: string
): AsyncGenerator<P> {
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const page = await fetch(token);
    yield page;
    token = nextToken(page);
    if (token && seen.has(token)) throw new Error(repeated);
    if (token) seen.add(token);
  } while (token);
}
