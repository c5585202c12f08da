import { expect } from 'chai';
import { GRANTEE_ROLES, PURPOSES, ROLES, ROLE_PURPOSES, isGranteeRole, mayUsePurpose } from '../src/ids';

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
