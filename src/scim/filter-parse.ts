// SCIM filter syntax: scim2-parse-filter's tokenizer and parser, with the token repairs and error wording they need.
import type { Filter } from 'scim2-parse-filter';
// The package's own parse() reads `emails[type eq "work"].value eq "x"` as two unrelated conditions (any
// work email, and any email "x") and doubles backslashes inside strings. Its tokenizer and parser are
// sound, so parseSyntax() corrects the tokens in between (see prepare()).
import { parseFilter, type Token, Tokens, tokenizer } from 'scim2-parse-filter/lib/src/parser.js';

/**
 * The syntax tree of a filter: the package's tokenizer, prepare(), then its parser, which must use every
 * token. Throws the package's own errors; describeSyntaxError() words them for the client.
 */
export function parseSyntax(text: string): Filter {
  const list = new Tokens(prepare(tokenizer(text)));
  const ast = parseFilter(list);
  const rest = list.peek();
  if (rest.type !== 'EOT') throw new Error(`unexpected "${rest.literal}" after a complete filter`);
  return ast;
}

const COMPARE_OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const bracket = (literal: string): Token => ({ type: 'Bracket', literal });

/**
 * Repairs the package tokenizer's output:
 * - strings: it doubles each backslash not followed by a quote, so `"a\\b"` meant `a\\b`; undone here so a
 *   string is the JSON string RFC 7644 §3.4.2.2 says it is (`"a\\b"` is `a\b`, `"x\""` is `x"`).
 * - ABNF literals are case-insensitive: `TRUE`, `False`, `NULL` are read as true, false, null.
 * - `emails[type eq "work"].value eq "x"` (the value path of RFC 7644 §3.5.2) means one email that is both;
 *   it is rewritten to `emails[(type eq "work") and value eq "x"]` before the parser sees it.
 */
function prepare(tokens: Token[]): Token[] {
  const list = tokens.map((t): Token => {
    if (t.type === 'Quoted') return { type: 'Quoted', literal: t.literal.replace(/\\\\|\\"/g, (m) => (m === '\\\\' ? '\\' : m)) };
    if (t.type === 'Word' && /^(true|false|null)$/i.test(t.literal)) return { type: 'Word', literal: t.literal.toLowerCase() };
    return t;
  });
  const out: Token[] = [];
  const opens: number[] = [];
  for (let i = 0; i < list.length; i++) {
    const t = list[i]!;
    if (t.type === 'Bracket' && t.literal === '[') opens.push(out.length);
    if (t.type === 'Bracket' && t.literal.startsWith(']')) {
      const open = opens.pop();
      const op = list[i + 2]?.literal.toLowerCase() ?? '';
      if (t.literal === '].' && open !== undefined && list[i + 1]?.type === 'Word' && (op === 'pr' || COMPARE_OPS.has(op))) {
        const arity = op === 'pr' ? 2 : 3;
        out.splice(open + 1, 0, bracket('('));
        out.push(bracket(')'), { type: 'Word', literal: 'and' }, ...list.slice(i + 1, i + 1 + arity), bracket(']'));
        i += arity;
        continue;
      }
    }
    out.push(t);
  }
  return out;
}

export function describeSyntaxError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const value = /^\[(.*)\((\w+)\)\] is not json$/s.exec(message);
  const operator = /^Unexpected token (\S+) (.*) as valFilter operator$/s.exec(message);
  let out = message;
  if (value?.[2] === 'EOT') out = 'the filter ends where a value was expected';
  else if (value) out = `${value[1]} is not a value (quote strings with double quotes; otherwise use true, false, null or a number)`;
  else if (operator) out = `${operator[2] || 'the end'} after ${operator[1]} is not an operator (use eq, ne, co, sw, ew, gt, ge, lt, le or pr)`;
  else if (/^Unexpected token +\(EOT\)$/.test(message)) out = 'the filter ends where an attribute was expected';
  else if (/^Unexpected token (\[\(EOT\)\] expected '\)'| expected '\]')$/.test(message)) out = 'a parenthesis or bracket is not closed';
  else if (message.startsWith('unexpected token ')) out = `cannot read ${JSON.stringify(message.slice(17))}`;
  return out.length > 200 ? `${out.slice(0, 200)}…` : out;
}
