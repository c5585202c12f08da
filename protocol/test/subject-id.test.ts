import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import {
  MIN_PSEUDONYM_SECRET_BYTES,
  PSEUDONYM_CONTEXT,
  SubjectIdError,
  type SubjectIdFailure,
  type SubjectKind,
  isValidSubjectId,
  makeCreditCode,
  makeResidentId,
  maskSubjectId,
  parseSubjectId,
  pseudonymise,
} from '../src/subject-id';

const RESIDENT = '11010519491231002X';
const CREDIT_CODE = '91350100M000100Y43';

function rejection(raw: string, expectedKind?: SubjectKind): SubjectIdError {
  try {
    parseSubjectId(raw, expectedKind);
  } catch (error) {
    if (error instanceof SubjectIdError) return error;
    throw error;
  }
  throw new Error(`expected ${raw} to be rejected`);
}

function expectRejected(raw: string, reason: SubjectIdFailure, expectedKind?: SubjectKind): void {
  const error = rejection(raw, expectedKind);
  expect(error.code).to.equal('INVALID_SUBJECT_ID');
  expect(error.reason, `reason for ${raw}`).to.equal(reason);
  expect(error.message).to.match(/^INVALID: subject ID /);
}

describe('subject-id', () => {
  describe('resident IDs (GB 11643-1999)', () => {
    it('when the ID is the GB 11643 example, then it is a valid resident ID', () => {
      expect(parseSubjectId(RESIDENT)).to.deep.equal({ kind: 'RESIDENT', id: RESIDENT });
      expect(isValidSubjectId(RESIDENT)).to.equal(true);
    });

    it('when the check character is a lower-case x or the ID has surrounding spaces, then it is normalised', () => {
      expect(parseSubjectId('11010519491231002x')).to.deep.equal({ kind: 'RESIDENT', id: RESIDENT });
      expect(parseSubjectId(` ${RESIDENT}\t`)).to.deep.equal({ kind: 'RESIDENT', id: RESIDENT });
    });

    it('when the check character is wrong, then CHECK_CHARACTER', () => {
      expectRejected('110105194912310021', 'CHECK_CHARACTER');
      expectRejected('110105194912310020', 'CHECK_CHARACTER');
    });

    it('when the birth date is not a calendar date, then BIRTH_DATE even with a correct check character', () => {
      expectRejected(makeResidentId('11010519490230002'), 'BIRTH_DATE');
      expectRejected(makeResidentId('11010519491301002'), 'BIRTH_DATE');
      expectRejected(makeResidentId('11010519490100002'), 'BIRTH_DATE');
      expectRejected(makeResidentId('11010519000229002'), 'BIRTH_DATE'); // 1900 is not a leap year
      expectRejected(makeResidentId('11010520010229002'), 'BIRTH_DATE');
    });

    it('when the birth date is a leap day, then the ID is valid', () => {
      expect(parseSubjectId(makeResidentId('11010520000229002')).kind).to.equal('RESIDENT');
      expect(parseSubjectId(makeResidentId('11010519960229002')).kind).to.equal('RESIDENT');
    });

    it('when the birth date is outside 1900-01-01 to 2100-01-01, then BIRTH_DATE; the bounds themselves pass', () => {
      expectRejected(makeResidentId('11010518991231002'), 'BIRTH_DATE');
      expectRejected(makeResidentId('11010521000102002'), 'BIRTH_DATE');
      expect(parseSubjectId(makeResidentId('11010519000101002')).kind).to.equal('RESIDENT');
      expect(parseSubjectId(makeResidentId('11010521000101002')).kind).to.equal('RESIDENT');
    });

    it('when the ID is 17 or 19 characters, then LENGTH', () => {
      expectRejected(RESIDENT.slice(0, 17), 'LENGTH');
      expectRejected(`${RESIDENT}0`, 'LENGTH');
      expectRejected('', 'LENGTH');
    });

    it('when a resident ID contains letters in the body, then CHARACTERS', () => {
      expectRejected('11010519491231A02X', 'CHARACTERS', 'RESIDENT');
      expectRejected('1101051949123100AX', 'CHARACTERS', 'RESIDENT');
      expect(isValidSubjectId('11010519491231A02X')).to.equal(false);
    });

    it('when a resident ID is required, then a credit code is rejected', () => {
      expectRejected(CREDIT_CODE, 'CHARACTERS', 'RESIDENT');
      expect(parseSubjectId(RESIDENT, 'RESIDENT').kind).to.equal('RESIDENT');
    });
  });

  describe('unified social credit codes (GB 32100-2015)', () => {
    it('when the code is the commonly cited example, then it is a valid organisation code', () => {
      expect(parseSubjectId(CREDIT_CODE)).to.deep.equal({ kind: 'ORGANISATION', id: CREDIT_CODE });
    });

    it('when the codes are published ones of other kinds, then they are valid', () => {
      // A company, an MA-series company, a public institution (12...) and codes ending in X.
      for (const code of [
        '91350200776049653A',
        '91440101MA5CJQ4N59',
        '123502001549897397',
        '91350213678251743X',
        '9135021359498494XQ',
      ]) {
        expect(parseSubjectId(code), code).to.deep.equal({ kind: 'ORGANISATION', id: code });
      }
    });

    it('when an all-digit code has the shape of a resident ID but no valid birth date, then it is an organisation', () => {
      expect(parseSubjectId('913502000728319549')).to.deep.equal({
        kind: 'ORGANISATION',
        id: '913502000728319549',
      });
    });

    it('when the code is in lower case, then it is normalised to upper case', () => {
      expect(parseSubjectId('91350100m000100y43')).to.deep.equal({ kind: 'ORGANISATION', id: CREDIT_CODE });
    });

    it('when the check character is wrong, then CHECK_CHARACTER', () => {
      expectRejected('91350100M000100Y44', 'CHECK_CHARACTER');
      expectRejected('91350100M000100Y4A', 'CHECK_CHARACTER');
    });

    it('when the code contains I, O, S, V or Z, then CHARACTERS', () => {
      for (const letter of ['I', 'O', 'S', 'V', 'Z']) {
        expectRejected(`91350100M000100${letter}43`, 'CHARACTERS');
      }
    });

    it('when characters 3-8 are not digits, then CHARACTERS even with a correct check character', () => {
      expectRejected(makeCreditCode('913501A0M000100Y4'), 'CHARACTERS');
    });

    it('when an organisation is required, then a resident ID is rejected', () => {
      expectRejected(RESIDENT, 'CHECK_CHARACTER', 'ORGANISATION');
    });
  });

  describe('error messages', () => {
    it('when an ID is rejected, then the message shows only its last four characters', () => {
      const bad = '110105194912310021';
      const error = rejection(bad);
      expect(error.message).to.equal(
        'INVALID: subject ID **************0021 (18 chars) has a wrong check character',
      );
      expect(error.message).to.not.include(bad.slice(0, 14));
      expect(error.name).to.equal('SubjectIdError');
      expect(error).to.be.instanceOf(Error);
    });

    it('when a long or short input is rejected, then the message neither echoes it nor grows with it', () => {
      const long = `${RESIDENT}${RESIDENT}`;
      expect(rejection(long).message).to.equal(
        'INVALID: subject ID **************002X (36 chars) must be 18 characters',
      );
      expect(rejection('1234').message).to.equal('INVALID: subject ID **** (4 chars) must be 18 characters');
    });

    it('when the tail holds punctuation, then it is replaced so log lines cannot be forged', () => {
      expect(rejection('1101051949123100\n"').message).to.include('**************00??');
    });

    it('when the input is not a string, then LENGTH', () => {
      expectRejected(42 as unknown as string, 'LENGTH');
    });
  });

  describe('pseudonymise', () => {
    const secret = Buffer.alloc(MIN_PSEUDONYM_SECRET_BYTES, 7);

    it('when pseudonymising, then it is HMAC-SHA256 of the context and the ID, as 64 lowercase hex', () => {
      const expected = createHmac('sha256', secret).update(`rcl:subject:v1:${RESIDENT}`).digest('hex');
      expect(PSEUDONYM_CONTEXT).to.equal('rcl:subject:v1:');
      expect(pseudonymise(secret, RESIDENT)).to.equal(expected);
      expect(pseudonymise(secret, RESIDENT)).to.match(/^[0-9a-f]{64}$/);
    });

    it('when the secret differs, then the pseudonym differs', () => {
      expect(pseudonymise(Buffer.alloc(32, 8), RESIDENT)).to.not.equal(pseudonymise(secret, RESIDENT));
    });

    it('when the ID is not normalised, then NOT_NORMALISED', () => {
      const error = (() => {
        try {
          pseudonymise(secret, '11010519491231002x');
        } catch (e) {
          return e as SubjectIdError;
        }
        return undefined;
      })();
      expect(error).to.be.instanceOf(SubjectIdError);
      expect(error?.reason).to.equal('NOT_NORMALISED');
      expect(() => pseudonymise(secret, ` ${CREDIT_CODE}`)).to.throw(SubjectIdError);
    });

    it('when the ID is invalid, then SubjectIdError', () => {
      expect(() => pseudonymise(secret, '110105194912310021')).to.throw(
        SubjectIdError,
        /wrong check character/,
      );
    });

    it('when the secret is shorter than 32 bytes, then RangeError', () => {
      expect(() => pseudonymise(Buffer.alloc(31), RESIDENT)).to.throw(RangeError, /at least 32 bytes/);
    });
  });

  describe('maskSubjectId', () => {
    it('when masking, then the first 3 and last 4 characters stay', () => {
      expect(maskSubjectId(RESIDENT)).to.equal('110***********002X');
      expect(maskSubjectId(CREDIT_CODE)).to.equal('913***********0Y43');
    });

    it('when the string is shorter than 8 characters, then all of it is masked', () => {
      expect(maskSubjectId('1234567')).to.equal('*******');
      expect(maskSubjectId('')).to.equal('');
    });
  });

  describe('test ID generators', () => {
    it('when generating from the body of known IDs, then the known check characters come back', () => {
      expect(makeResidentId('11010519491231002')).to.equal(RESIDENT);
      expect(makeCreditCode('91350100M000100Y4')).to.equal(CREDIT_CODE);
    });

    it('when generating many IDs, then each is valid and of the expected kind', () => {
      for (let i = 0; i < 200; i++) {
        const day = String((i % 28) + 1).padStart(2, '0');
        const resident = makeResidentId(
          `3301021985${String((i % 12) + 1).padStart(2, '0')}${day}${String(i % 1000).padStart(3, '0')}`,
        );
        expect(parseSubjectId(resident), resident).to.deep.equal({ kind: 'RESIDENT', id: resident });
        const code = makeCreditCode(`N2330102MA${String(i).padStart(7, '0')}`);
        expect(parseSubjectId(code), code).to.deep.equal({ kind: 'ORGANISATION', id: code });
      }
    });

    it('when the seed is malformed, then the generators throw TypeError', () => {
      expect(() => makeResidentId('1101051949123100')).to.throw(TypeError);
      expect(() => makeResidentId('1101051949123100X')).to.throw(TypeError);
      expect(() => makeCreditCode('91350100M000100Z4')).to.throw(TypeError);
      expect(() => makeCreditCode('91350100m000100y4')).to.throw(TypeError);
    });
  });
});
