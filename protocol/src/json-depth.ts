/**
 * JSON parsing with a nesting limit. `JSON.parse` itself copes with any
 * depth, but everything that walks the result recursively afterwards
 * (schema validation, canonicalisation, `JSON.stringify`) overflows the
 * stack on a few hundred thousand brackets; so the depth is checked on the
 * text, before parsing, in one linear scan.
 */

/** The deepest nesting of arrays and objects accepted from outside (the issue-12 limit). */
export const MAX_JSON_DEPTH = 64;

/** Thrown by {@link parseJsonBounded} when the text nests deeper than allowed. */
export class JsonTooDeepError extends Error {
  /** The limit that was passed. */
  readonly maxDepth: number;

  constructor(maxDepth: number) {
    super(`JSON nests deeper than ${maxDepth} levels`);
    this.name = 'JsonTooDeepError';
    this.maxDepth = maxDepth;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * Whether `text` opens more than `maxDepth` arrays or objects inside one
 * another (brackets inside strings do not count). Malformed text is left to
 * the parser: this only looks at nesting.
 */
export function jsonDepthExceeds(text: string, maxDepth: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * `JSON.parse` with a nesting limit.
 *
 * @throws JsonTooDeepError when `text` nests deeper than `maxDepth`;
 *   SyntaxError when it is not JSON.
 */
export function parseJsonBounded(text: string, maxDepth: number = MAX_JSON_DEPTH): unknown {
  if (jsonDepthExceeds(text, maxDepth)) throw new JsonTooDeepError(maxDepth);
  return JSON.parse(text) as unknown;
}
