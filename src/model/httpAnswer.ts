// Whose an HTTP error answer from the service's URL is: the service's own ({error} JSON with its header, or from an
// older service, its code), a proxy's sign-in (401, 403) or gateway page (502, 503, 504), or something else's. One
// reading for `report --service-url` and the backend's client; the backend adds what the service's version says
// (fromVersions, serviceClient.ts).
import { API_ERROR_CODES, SERVICE_HEADER } from './api';

/**
 * `text` (an answer quoted to the user) without the token: a proxy's error page can echo the request's headers. A
 * short token would garble ordinary words: then only the header itself is replaced.
 */
export function withoutToken(text: string, token: string): string {
  if (!token) return text;
  const [secret, shown] = token.length >= 8 ? [token, '<token>'] : [`Bearer ${token}`, 'Bearer <token>'];
  return text.split(secret).join(shown);
}

/** What a proxy answers for a service behind it that does not answer (502 Bad Gateway, 503, 504 Gateway Timeout). */
const GATEWAY_STATUSES: readonly number[] = [502, 503, 504];

/** What a proxy answers for a sign-in of its own (or a client it turns away). */
const SIGN_IN_STATUSES: readonly number[] = [401, 403];

/** How much of an answer that is not the service's is quoted, its whitespace folded. */
const SNIPPET_CHARS = 120;

/**
 * The words of a service without codes (0.1.0, and the builds after it until the codes, which say 0.1.0 too) at the
 * statuses a proxy answers with its own JSON as well: an {error} without a code there is the service's only with these
 * words. Its 401 has said the same since the first version; the builds' 503 while the database opened ended with the
 * same sentence (0.1.0 itself had no 503). It never answered 403 or 502. Its 504, a query or a request stopped, said
 * "took longer than 30s and was stopped" or "ran longer than 50s … and was (were) stopped".
 */
const WORDS_WITHOUT_CODES: Readonly<Record<number, RegExp | 'none'>> = {
  401: /^missing or wrong bearer token\b/,
  403: 'none',
  502: 'none',
  503: / Try again in a moment \(GET \/api\/health says how far it is\)$/,
  504: /\blonger than [\d.]+s\b.* (was|were) stopped\b/,
};

export interface HttpAnswer {
  /** service: its own {error}; sign-in, gateway: a proxy's 401 or 403, 502, 503 or 504; other: not the service's. */
  from: 'service' | 'sign-in' | 'gateway' | 'other';
  /** The service's words (from service), without the token. */
  error?: string;
  /** The service's code (from service): none from a service up to 0.1.0. */
  code?: string;
  /** The start of the answer, whitespace folded, without the token: what to quote of one not the service's; '' when empty. */
  snippet: string;
}

/**
 * Whose a non-2xx answer (or a 2xx one that is not JSON) is, by its service header, status and body; `token` is never
 * quoted. With the header, an {error} is the service's, whatever its code (a newer service's too). Without it, the
 * answer is a proxy's or a service's from before the header, whose codes are all in API_ERROR_CODES (none is ever
 * taken out) and whose words without a code are known (WORDS_WITHOUT_CODES): a code or words of none of them are a
 * proxy's own, as a proxy's `{"error": "…", "code": "forbidden"}` 403.
 */
export function readHttpAnswer(status: number, headers: Headers, body: string, token = ''): HttpAnswer {
  let said: { error?: unknown; code?: unknown } | undefined;
  try {
    said = JSON.parse(body) as typeof said;
  } catch {
    said = undefined;
  }
  const snippet = withoutToken(body, token).replace(/\s+/g, ' ').trim().slice(0, SNIPPET_CHARS);
  const { error, code } = said ?? {};
  // The service's code is a string: a number (a proxy's {error, code: 401}) is not one of its.
  const coded = typeof code === 'string';
  const words = WORDS_WITHOUT_CODES[status];
  const inItsWords = (text: string) => words === undefined || (words !== 'none' && words.test(text));
  const fromOlderService = (text: string) => (coded ? (API_ERROR_CODES as readonly string[]).includes(code) : code === undefined && inItsWords(text));
  const own = typeof error === 'string' && (headers.has(SERVICE_HEADER) || fromOlderService(error));
  if (own) return { from: 'service', error: withoutToken(error, token), ...(coded && { code }), snippet };
  if (SIGN_IN_STATUSES.includes(status)) return { from: 'sign-in', snippet };
  return { from: GATEWAY_STATUSES.includes(status) ? 'gateway' : 'other', snippet };
}
