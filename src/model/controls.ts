// Characters a log viewer or terminal acts on that JSON writes raw: shared by the service's logs and the plugin
// backend's, whose text any principal may choose (an S3 key, an errorMessage echoing the request).

/** Bidirectional embeddings, overrides and isolates, as a character class's range: they show a name reversed. */
export const BIDI_CONTROLS = '\u202a-\u202e\u2066-\u2069';

/** DEL, the C1 controls (a terminal acts on CSI and NEL) and the bidi controls: JSON.stringify escapes only C0. */
const RAW_IN_JSON = new RegExp(`[\\x7f-\\x9f${BIDI_CONTROLS}]`, 'g');

/** Each of RAW_IN_JSON's characters as `\uXXXX`: in a JSON line's strings, the escape parses back to the character. */
export const escapedControls = (text: string) => text.replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
