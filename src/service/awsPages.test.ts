// Paging by tokens, with pages from a list: the loopback servers' tests (s3-pages, trails) run it against real peers.
import { pagesByToken } from './awsPages';

/** The pages of `tokens`: page i gives tokens[i] as the next one. */
const listing = (tokens: Array<string | undefined>) => {
  const asked: Array<string | undefined> = [];
  const pages = pagesByToken(
    async (token) => {
      asked.push(token);
      return { n: asked.length - 1, next: tokens[asked.length - 1] };
    },
    (page) => page.next,
    'the same token twice'
  );
  return { pages, asked };
};

const all = async <T>(pages: AsyncGenerator<T>) => {
  const out: T[] = [];
  for await (const page of pages) out.push(page);
  return out;
};

test('fetches each page with the token the one before gave, until one gives none or an empty one', async () => {
  const { pages, asked } = listing(['a', 'b', undefined]);
  expect((await all(pages)).map((p) => p.n)).toEqual([0, 1, 2]);
  expect(asked).toEqual([undefined, 'a', 'b']);
  expect((await all(listing(['a', '']).pages)).map((p) => p.n)).toEqual([0, 1]);
});

test('a token given again fails in the words given, after the pages before it: it would list the same pages for ever', async () => {
  const { pages, asked } = listing(['a', 'b', 'a', 'c']);
  const seen: number[] = [];
  await expect((async () => {
    for await (const page of pages) seen.push(page.n);
  })()).rejects.toThrow(/^the same token twice$/);
  expect([seen, asked]).toEqual([[0, 1, 2], [undefined, 'a', 'b']]);
});
