/**
 * What a username may not contain, whatever the scheme: the Unicode control characters (general
 * category Cc: C0, DEL and C1 such as U+0085 NEXT LINE, TAB included) and the line and paragraph
 * separators U+2028/U+2029. No account needs one, and each can break a log line, a terminal or a
 * JSON-in-JavaScript consumer; such a name is refused before any hook, log line or event sees it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7617#section-2 ("The user-id and password MUST NOT contain any control characters")
 * @see https://www.rfc-editor.org/rfc/rfc8265#section-3.2 (usernames: no control characters)
 */
// eslint-disable-next-line no-control-regex
const UNACCEPTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const isAcceptableUsername = (username: string): boolean => !UNACCEPTABLE.test(username);
