/**
 * Request validation with zod: one schema gives the TypeScript type, the
 * runtime check and (through the OpenAPI registry) the documentation.
 */
import { z } from 'zod';
import { AppError } from './errors';

/** One validation problem as reported in `error.details`. */
export interface ValidationIssue {
  /** Dotted path to the offending value, prefixed by its location (`body.items.3.amount`). */
  readonly path: string;
  /** What was wrong with it. */
  readonly message: string;
}

/** Options for {@link validate}. */
export interface ValidateOptions {
  /** Error code when no issue carries its own; `INVALID_REQUEST` by default. */
  readonly code?: string;
  /** Location prefix for issue paths: `body`, `query`, `params`... */
  readonly location?: string;
}

/**
 * The error code a custom issue asks for: an issue raised with
 * `params: { code: 'X' }` (see {@link refineWithCode}) makes the whole
 * validation failure use code `X`.
 */
function issueCode(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code !== 'custom') return undefined;
  const code = (issue.params as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Converts zod issues to the `details` list of a 400 response. */
export function toValidationIssues(
  issues: readonly z.core.$ZodIssue[],
  location?: string,
): ValidationIssue[] {
  return issues.map((issue) => ({
    path: [...(location === undefined ? [] : [location]), ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

/**
 * Turns a zod error into a 400 AppError: code from the first issue that
 * names one, else `options.code`, else `INVALID_REQUEST`; details list each
 * issue's path and message.
 */
export function validationError(error: z.ZodError, options: ValidateOptions = {}): AppError {
  const code = error.issues.map(issueCode).find((c) => c !== undefined) ?? options.code ?? 'INVALID_REQUEST';
  const details = toValidationIssues(error.issues, options.location);
  const first = details[0];
  const message =
    first === undefined ? 'invalid request' : `invalid request: ${first.path || '(root)'}: ${first.message}`;
  return AppError.invalid(message, { code, details });
}

/**
 * Returns a parser for `schema` that throws a 400 AppError (see
 * {@link validationError}) instead of a ZodError.
 *
 * Schemas must not use async refinements.
 *
 * @example
 * const parseBody = validate(CreateUserBody, { location: 'body' });
 * const body = parseBody(req.body); // typed as z.output<typeof CreateUserBody>
 */
export function validate<S extends z.ZodType>(
  schema: S,
  options: ValidateOptions = {},
): (input: unknown) => z.output<S> {
  return (input) => {
    const result = schema.safeParse(input);
    if (!result.success) throw validationError(result.error, options);
    return result.data;
  };
}

/**
 * Adds a check to `schema` whose failure answers with its own error code
 * (e.g. `INVALID_SUBJECT_ID`) rather than the route's default.
 *
 * @example const SubjectId = refineWithCode(z.string(), isValidSubjectId, 'INVALID_SUBJECT_ID', 'not a valid subject ID');
 */
export function refineWithCode<S extends z.ZodType>(
  schema: S,
  predicate: (value: z.output<S>) => boolean,
  code: string,
  message: string,
): S {
  return schema.check(
    z.superRefine((value: z.output<S>, ctx) => {
      if (!predicate(value)) ctx.addIssue({ code: 'custom', message, params: { code }, input: value });
    }),
  );
}
