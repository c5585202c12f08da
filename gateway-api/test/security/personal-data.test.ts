/**
 * Issue 7 case 12: no personal data on the ledger. A demo-like flow through
 * the API (batches whose records carry resident IDs, a credit code, names
 * and phone numbers; consents with signed forms naming the subject; reports;
 * an asset and a lien; a dispute whose note names the subject), then every
 * block from 0 is read, every write's key and value and every chaincode
 * event, and searched for each subject's identifiers. Finally the on-chain
 * pseudonyms are attacked by guessing subject IDs without the platform
 * secret.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { PSEUDONYM_CONTEXT, leafHash, makeCreditCode, makeResidentId } from '@ruralcredit/protocol';
import {
  ORG,
  allBlocks,
  consentForm,
  homesteadRight,
  lienBody,
  ok,
  registerAsset,
  startSecurityGateway,
  uploadBatch,
  validity,
  type ConsortiumGateway,
} from './fixture';
import { caseIt } from './recorder';

interface Subject {
  readonly id: string;
  readonly name: string;
  readonly pinyin: string;
  readonly phone: string;
}

/** Resident IDs born in 1980 in county 350902, like the acceptance fixture's, with sequence `seq`. */
function resident(month: number, day: number, seq: number): string {
  return makeResidentId(
    `3509021980${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}${String(seq).padStart(3, '0')}`,
  );
}

const SUBJECTS: Subject[] = [
  { id: resident(3, 14, 7), name: '张桂兰', pinyin: 'Zhang Guilan', phone: '13805931234' },
  { id: resident(7, 2, 12), name: '林德福', pinyin: 'Lin Defu', phone: '15959312345' },
  { id: resident(11, 30, 3), name: '陈秀英', pinyin: 'Chen Xiuying', phone: '18650923456' },
  { id: resident(12, 31, 19), name: '吴建国', pinyin: 'Wu Jianguo', phone: '13705937890' },
  // A resident ID ending in X, in lower case on input.
  ...(() => {
    for (let seq = 0; seq < 1000; seq++) {
      const id = resident(5, 5, seq);
      if (id.endsWith('X')) return [{ id, name: '郑丽珍', pinyin: 'Zheng Lizhen', phone: '13959345678' }];
    }
    throw new Error('no X check digit found');
  })(),
];
/** An organisation subject: a cooperative with a unified social credit code. */
const COOPERATIVE: Subject = {
  id: makeCreditCode('93350902MA31RQ2K5'),
  name: '宁德市蕉城区茶农专业合作社',
  pinyin: 'Jiaocheng Tea Growers Cooperative',
  phone: '05932871234',
};
const ALL = [...SUBJECTS, COOPERATIVE];

/** The custom dataset type of the flow: a household roster with personal fields. */
const HOUSEHOLD = {
  code: 'HOUSEHOLD_ROSTER',
  name: 'Household roster',
  provider: ORG.land,
  frequency: 'MONTHLY',
  schemaVersion: 1,
  subjectField: 'subjectId',
  fields: [
    { name: 'subjectId', type: 'STRING', personal: true },
    { name: 'holderName', type: 'STRING', personal: true },
    { name: 'phone', type: 'STRING', personal: true },
    { name: 'village', type: 'STRING' },
  ],
};

function homesteadOf(s: Subject, i: number): Record<string, unknown> {
  return {
    subjectId: s.id,
    certificateNo: `NR-PD-${i}`,
    parcelCode: `350902-${700 + i}`,
    areaSquareMetres: 100 + i,
    registeredOn: '2018-06-01',
  };
}

describe('security: no personal data on the ledger (issue 7 case 12)', () => {
  let g: ConsortiumGateway;
  let flowTransactions = 0;

  before(async () => {
    g = await startSecurityGateway();
    // The regulator defines the catalogue entry on the chaincode (the gateway has no catalogue endpoint).
    await g.context.ledger.submit(ORG.regulator, 'Catalogue:DefineDatasetType', [JSON.stringify(HOUSEHOLD)]);
    const start = await g.context.ledger.height();
    await uploadBatch(g, 'land', 'HOMESTEAD', 'hs-pd', ALL.map(homesteadOf));
    await uploadBatch(
      g,
      'land',
      'HOUSEHOLD_ROSTER',
      'hh-pd',
      ALL.map((s) => ({
        subjectId: s.id,
        holderName: `${s.name} (${s.pinyin})`,
        phone: s.phone,
        village: 'Hongshan',
      })),
    );
    await uploadBatch(
      g,
      'agri',
      'AGRI_SUBSIDY',
      'sub-pd',
      ALL.map((s, i) => ({
        subjectId: s.id,
        programme: 'GRAIN_DIRECT',
        amountFen: 12_000 + i,
        paidOn: '2026-01-15',
      })),
    );
    for (const [i, s] of ALL.entries()) {
      // Lower-case input (the trailing X, the credit code) must normalise, not leak.
      const input = i % 2 === 0 ? s.id.toLowerCase() : s.id;
      ok(
        await g.api('/consents', {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          body: consentForm(
            {
              consentId: `c-pd-${i}`,
              subjectId: input,
              scope: ['HOMESTEAD', 'HOUSEHOLD_ROSTER', 'AGRI_SUBSIDY'],
              purpose: 'LOAN_APPLICATION',
              ...validity(),
            },
            `I, ${s.name} (${s.pinyin}), ID ${s.id}, phone ${s.phone}, consent to Bank A querying my records.`,
          ),
        }),
      );
      ok(
        await g.api('/reports', {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          json: {
            subjectId: input,
            consentId: `c-pd-${i}`,
            datasets: ['HOMESTEAD', 'HOUSEHOLD_ROSTER', 'AGRI_SUBSIDY'],
            purpose: 'LOAN_APPLICATION',
          },
        }),
      );
    }
    const owner = SUBJECTS[0]!;
    ok(
      await g.api('/consents', {
        method: 'POST',
        as: ['bankB', 'LOAN_OFFICER'],
        body: consentForm(
          {
            consentId: 'col-pd',
            subjectId: owner.id,
            scope: ['COLLATERAL'],
            purpose: 'COLLATERAL_REGISTRATION',
            ...validity(),
          },
          `Collateral consent of ${owner.name}, ${owner.phone}`,
        ),
      }),
    );
    await registerAsset(g, 'land', homesteadRight('HS-PD-1', owner.id));
    ok(
      await g.api('/liens', {
        method: 'POST',
        as: ['bankB', 'LOAN_OFFICER'],
        json: lienBody('HOMESTEAD_RIGHT:HS-PD-1', 'col-pd'),
      }),
    );
    const disputed = SUBJECTS[1]!;
    const dispute = ok<{ dispute: { disputeId: string } }>(
      await g.api('/disputes', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: {
          subjectId: disputed.id,
          datasetType: 'HOUSEHOLD_ROSTER',
          batchId: 'hh-pd',
          recordHash: leafHash({
            subjectId: disputed.id,
            holderName: `${disputed.name} (${disputed.pinyin})`,
            phone: disputed.phone,
            village: 'Hongshan',
          }).toString('hex'),
          consentId: 'c-pd-1',
          reason: 'WRONG_VALUE',
          note: `${disputed.name} (${disputed.id}) says the phone ${disputed.phone} is not hers.`,
        },
      }),
    );
    ok(
      await g.api(`/disputes/${dispute.dispute.disputeId}/resolution`, {
        method: 'POST',
        as: ['land', 'DATA_OFFICER'],
        json: { outcome: 'UPHELD', note: `Called ${disputed.name} on ${disputed.phone}; record confirmed.` },
      }),
      200,
    );
    flowTransactions = (await g.context.ledger.height()) - start;
  });
  after(() => g.stop());

  /** Everything the ledger holds, as text: each block's JSON plus every write value and event payload decoded. */
  async function ledgerText(): Promise<{ text: string; blocks: number; writes: number; events: number }> {
    const blocks = await allBlocks(g);
    const parts: string[] = [];
    let writes = 0;
    let events = 0;
    for (const block of blocks) {
      parts.push(JSON.stringify(block));
      for (const tx of block.transactions) {
        for (const w of tx.writes) {
          writes += 1;
          parts.push(w.key, Buffer.from(w.value, 'base64').toString('utf8'));
        }
        if (tx.event !== undefined) {
          events += 1;
          parts.push(tx.event.eventName, Buffer.from(tx.event.payload, 'base64').toString('utf8'));
        }
      }
    }
    return { text: parts.join('\n'), blocks: blocks.length, writes, events };
  }

  caseIt(
    '12',
    'when every block from 0 (every write key and value, every chaincode event) is searched for the subjects’ resident IDs, credit code, names and phone numbers, in any case, then none appears',
    async (figures) => {
      const { text, blocks, writes, events } = await ledgerText();
      const haystacks = [text, text.toLowerCase(), text.toUpperCase()];
      const needles = ALL.flatMap((s) => [
        s.id,
        s.id.toLowerCase(),
        s.id.slice(0, 17),
        s.name,
        s.pinyin,
        s.pinyin.replace(' ', ''),
        s.phone,
        `+86${s.phone}`,
      ]);
      const found: string[] = [];
      for (const needle of needles) {
        figures.tried += 1;
        if (
          haystacks.some(
            (h) => h.includes(needle) || h.includes(needle.toLowerCase()) || h.includes(needle.toUpperCase()),
          )
        )
          found.push(needle);
      }
      // Also the base64 of each identifier, as a chaincode might carry raw bytes.
      for (const s of ALL) {
        figures.tried += 1;
        if (text.includes(Buffer.from(s.id).toString('base64').slice(0, 20))) found.push(`base64(${s.id})`);
      }
      figures.found = found.length;
      figures.notes.push(
        `${blocks} blocks, ${writes} writes, ${events} events (${flowTransactions} from the flow) searched for ` +
          `${needles.length} identifiers of ${ALL.length} subjects`,
      );
      expect(flowTransactions, 'transactions the flow committed').to.equal(20);
      // Control: the search sees what the flow did put on the ledger.
      expect(text, 'haystack')
        .to.include('hh-pd')
        .and.include(await g.context.subjects.pseudonym(ALL[0]!.id));
      expect(found).to.deep.equal([]);
    },
  );

  caseIt(
    '12',
    'when all resident IDs born in 1980 in the county (sequence 000-019, plus the test subjects’ own) and the credit code are guessed against the on-chain pseudonyms without the regulator’s OPRF key (the gateway’s own HMAC secret included), then none matches; with the key they all do (control)',
    async (figures) => {
      const { text } = await ledgerText();
      const onChain = new Set(text.match(/[0-9a-f]{64}/g) ?? []);
      const candidates = new Set<string>(ALL.map((s) => s.id));
      const start = Date.UTC(1980, 0, 1);
      for (let day = 0; day < 366; day++) {
        const d = new Date(start + day * 86_400_000);
        for (let seq = 0; seq < 20; seq++) candidates.add(resident(d.getUTCMonth() + 1, d.getUTCDate(), seq));
      }
      const otherKey = randomBytes(32);
      const guesses: Record<string, (id: string) => string> = {
        'sha256(id)': (id) => createHash('sha256').update(id).digest('hex'),
        'sha256(lower(id))': (id) => createHash('sha256').update(id.toLowerCase()).digest('hex'),
        'sha256(context + id)': (id) =>
          createHash('sha256')
            .update(PSEUDONYM_CONTEXT + id)
            .digest('hex'),
        'sha256(sha256(id))': (id) =>
          createHash('sha256').update(createHash('sha256').update(id).digest()).digest('hex'),
        'hmac(empty key, id)': (id) => createHmac('sha256', Buffer.alloc(0)).update(id).digest('hex'),
        'hmac(empty key, context + id)': (id) =>
          createHmac('sha256', Buffer.alloc(0))
            .update(PSEUDONYM_CONTEXT + id)
            .digest('hex'),
        'hmac(32 zero bytes, context + id)': (id) =>
          createHmac('sha256', Buffer.alloc(32))
            .update(PSEUDONYM_CONTEXT + id)
            .digest('hex'),
        'hmac("secret", context + id)': (id) =>
          createHmac('sha256', 'secret')
            .update(PSEUDONYM_CONTEXT + id)
            .digest('hex'),
        'hmac(context, id)': (id) => createHmac('sha256', PSEUDONYM_CONTEXT).update(id).digest('hex'),
        'hmac(operator pseudonym secret, context + id)': (id) =>
          createHmac('sha256', g.config.pseudonymSecret)
            .update(PSEUDONYM_CONTEXT + id)
            .digest('hex'),
        'hmac(another random key, context + id)': (id) =>
          createHmac('sha256', otherKey)
            .update(PSEUDONYM_CONTEXT + id)
            .digest('hex'),
      };
      const hits: string[] = [];
      for (const [scheme, guess] of Object.entries(guesses)) {
        for (const id of candidates) {
          figures.tried += 1;
          if (onChain.has(guess(id))) hits.push(`${scheme}: ${id}`);
        }
      }
      figures.found = hits.length;
      // Control: the regulator's OPRF key does link every subject, so the pseudonyms are really on the ledger.
      const withKey: string[] = [];
      for (const s of ALL) if (onChain.has(await g.context.subjects.pseudonym(s.id))) withKey.push(s.id);
      // The key evaluates about a hundred IDs a second here: a sample of the other candidates stands for them.
      const sample = [
        ...ALL.map((s) => s.id),
        ...[...candidates].filter((id) => !ALL.some((s) => s.id === id)).slice(0, 40),
      ];
      const viaKey: string[] = [];
      for (const id of sample) if (onChain.has(await g.context.subjects.pseudonym(id))) viaKey.push(id);
      figures.notes.push(
        `${candidates.size} candidate IDs x ${Object.keys(guesses).length} schemes against ${onChain.size} on-chain 64-hex values: ` +
          `${hits.length} hits (the gateway's operator HMAC secret among the schemes); control with the regulator's OPRF key links ${withKey.length}/${ALL.length} subjects ` +
          `(${viaKey.length} of ${sample.length} sampled candidates)`,
      );
      expect(hits).to.deep.equal([]);
      expect(withKey.length, 'control: pseudonyms with the OPRF key').to.equal(ALL.length);
      expect(viaKey.length, 'control: sampled candidates linked with the OPRF key').to.equal(ALL.length);
    },
  );
});
