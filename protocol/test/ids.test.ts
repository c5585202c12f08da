import { expect } from 'chai';
import {
  GRANTEE_ROLES,
  PURPOSES,
  ROLES,
  ROLE_PURPOSES,
  idFromNonce,
  isGranteeRole,
  mayUsePurpose,
} from '../src/ids';
import { findPersonalIdentifier } from '../src/personal-data';

describe('roles and purposes', () => {
  it('when a grantee role names a purpose, then only those of ROLE_PURPOSES are allowed', () => {
    const allowed = GRANTEE_ROLES.flatMap((role) =>
      PURPOSES.filter((p) => mayUsePurpose(role, p)).map((p) => `${role}:${p}`),
    );
    expect(allowed).to.deep.equal([
      'BANK:LOAN_APPLICATION',
      'BANK:POST_LOAN_MANAGEMENT',
      'BANK:COLLATERAL_REGISTRATION',
      'GUARANTOR:POST_LOAN_MANAGEMENT',
      'GUARANTOR:GUARANTEE_ASSESSMENT',
      'INSURER:INSURANCE_UNDERWRITING',
      'MICROLENDER:LOAN_APPLICATION',
      'MICROLENDER:POST_LOAN_MANAGEMENT',
    ]);
  });

  it('when a role receives no grants, then it may use no purpose', () => {
    for (const role of ROLES.filter((r) => !isGranteeRole(r))) {
      expect(
        PURPOSES.filter((p) => mayUsePurpose(role, p)),
        role,
      ).to.deep.equal([]);
    }
    expect(mayUsePurpose('NOBODY', 'LOAN_APPLICATION')).to.equal(false);
    expect(Object.keys(ROLE_PURPOSES).sort()).to.deep.equal([...GRANTEE_ROLES].sort());
  });
});

describe("IDs from signed requests' nonces", () => {
  it("when a nonce's hex digits spell a valid credit code, then the ID made from it holds none", () => {
    // Found by drawing random nonces: `self-<this nonce>` holds a valid unified social credit code.
    const nonce = '63460029762150b8e18dfcce672f39fd';
    expect(findPersonalIdentifier(`self-${nonce}`)).to.equal('CREDIT_CODE');
    expect(idFromNonce('self', nonce)).to.equal('self-gdegaacjhgcbfaliobinpmmoghcpdjpn');
    expect(findPersonalIdentifier(idFromNonce('self', nonce))).to.equal(undefined);
    expect(idFromNonce('sd', '0123456789abcdef0123456789abcdef')).to.equal(
      'sd-abcdefghijklmnopabcdefghijklmnop',
    );
  });

  it('when the nonce is not 32 lowercase hex digits, then RangeError', () => {
    for (const bad of ['', 'ABCDEF0123456789ABCDEF0123456789', '0123', `${'0'.repeat(32)}0`]) {
      expect(() => idFromNonce('self', bad), bad).to.throw(RangeError);
    }
  });
});
