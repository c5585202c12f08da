import { expect } from 'chai';
import { z } from 'zod';
import { AppError } from '../../src/http/errors';
import { decodeCursor, encodeCursor, pageQuerySchema } from '../../src/http/pagination';
import { refineWithCode, validate } from '../../src/http/validate';

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  expect.fail('expected an AppError');
}

describe('validate and pagination helpers', () => {
  it('when input is valid, then the parsed (typed, stripped) value is returned', () => {
    const parse = validate(z.object({ n: z.coerce.number() }));
    expect(parse({ n: '3', extra: 1 })).to.deep.equal({ n: 3 });
  });

  it('when input is invalid, then 400 with the caller-supplied code and located paths', () => {
    const parse = validate(z.object({ a: z.object({ b: z.string() }) }), {
      code: 'BAD_THING',
      location: 'body',
    });
    const err = thrown(() => parse({ a: { b: 1 } }));
    expect(err.status).to.equal(400);
    expect(err.code).to.equal('BAD_THING');
    expect(err.details).to.deep.equal([
      { path: 'body.a.b', message: 'Invalid input: expected string, received number' },
    ]);
  });

  it('when a refinement names its own code, then that code wins over the default', () => {
    const SubjectId = refineWithCode(
      z.string().length(18),
      (v) => v.endsWith('X'),
      'INVALID_SUBJECT_ID',
      'bad check',
    );
    const parse = validate(z.object({ subjectId: SubjectId, name: z.string() }), { location: 'query' });
    const err = thrown(() => parse({ subjectId: '11010519491231002Y', name: 7 }));
    expect(err.code).to.equal('INVALID_SUBJECT_ID');
    expect(err.details).to.deep.equal([
      { path: 'query.subjectId', message: 'bad check' },
      { path: 'query.name', message: 'Invalid input: expected string, received number' },
    ]);
  });

  it('when limit is absent, then the default page size applies within the cap', () => {
    expect(pageQuerySchema(100).parse({})).to.deep.equal({ limit: 50 });
    expect(pageQuerySchema(10).parse({})).to.deep.equal({ limit: 10 });
  });

  it('when a cursor round-trips, then the position comes back; a foreign one is 400 INVALID_CURSOR', () => {
    const Position = z.object({ k: z.string() }).strict();
    expect(decodeCursor(encodeCursor({ k: 'org\u0000name' }), Position)).to.deep.equal({
      k: 'org\u0000name',
    });
    expect(thrown(() => decodeCursor(encodeCursor({ other: 1 }), Position)).code).to.equal('INVALID_CURSOR');
    expect(thrown(() => decodeCursor('!!!', Position)).code).to.equal('INVALID_CURSOR');
  });
});
