import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { findPersonalIdentifier, isFreeOfPersonalIdentifiers } from '../src/personal-data';

describe('personal-data: personal identifiers in IDs and free text', () => {
  const found: [string, string][] = [
    ['C-350902196001030009', 'RESIDENT_ID'],
    ['acc-350902196001030009', 'RESIDENT_ID'],
    ['x11010519491231002x', 'RESIDENT_ID'],
    ['id:350902-19600103-0009', 'RESIDENT_ID'],
    ['loan.3.5.0.9.0.2.1.9.6.0.0.1.0.3.0.0.0.9', 'RESIDENT_ID'],
    ['org-91350100M000100Y43-2026', 'CREDIT_CODE'],
    ['org-91350100m000100y43', 'CREDIT_CODE'],
    ['acc-13800138000', 'MOBILE_NUMBER'],
    ['tel:+86-138-0013-8000', 'MOBILE_NUMBER'],
    ['call 0086 19912345678 now', 'MOBILE_NUMBER'],
    ['ref 199 1234 5678', 'MOBILE_NUMBER'],
    ['tel:+8613800138000', 'MOBILE_NUMBER'],
  ];
  for (const [text, kind] of found) {
    it(`when the text is ${text}, then ${kind} is found`, () => {
      expect(findPersonalIdentifier(text)).to.equal(kind);
      expect(isFreeOfPersonalIdentifiers(text)).to.equal(false);
    });
  }

  const clean = [
    'loan-2026-0042',
    'C-350902196001030008',
    'acc-1764700000000',
    'acc-12800138000',
    'acc-a1f8a138-0013-8000-8c25-c17262024972',
    'acc-cc01b17e-988e-4c48-a71e-d19736021942',
    'hs-20260101-001',
    'LAND_CONTRACT_RIGHT:LC-001',
    'COLLATERAL_REGISTRATION',
    'org-91350100M000100Y44',
    'Natural resources bureau of Ningde',
  ];
  for (const text of clean) {
    it(`when the text is ${text}, then nothing is found`, () => {
      expect(findPersonalIdentifier(text)).to.equal(undefined);
    });
  }

  it('when IDs are generated as prefix-uuid, then none of 20,000 is refused', () => {
    const refused: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const id = `acc-${randomUUID()}`;
      if (findPersonalIdentifier(id) !== undefined) refused.push(id);
    }
    expect(refused).to.deep.equal([]);
  });
});
