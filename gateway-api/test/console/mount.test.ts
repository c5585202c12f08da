import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import express from 'express';
import { CONSOLE_CSP, consoleSettings, mountConsole } from '../../src/console/mount';

const org = (mspId: string, name: string, role = 'BANK'): { mspId: string; name: string; role: string } => ({
  mspId,
  name,
  role,
});
const catalogue = { datasetTypes: [{ code: 'HOMESTEAD', name: 'Homestead', provider: 'P' }], assetTypes: [] };

describe('console mount', () => {
  describe('consoleSettings', () => {
    it('when most organisation names are Chinese, then the console defaults to Simplified Chinese', () => {
      const settings = consoleSettings({
        organisations: [org('A', '宁德农商银行'), org('B', '福安村镇银行'), org('C', 'Audit Office')],
        ...catalogue,
      });
      expect(settings.language).to.equal('zh');
      expect(settings.datasetTypes).to.deep.equal([{ code: 'HOMESTEAD', name: 'Homestead', provider: 'P' }]);
    });

    it('when the names are English, then English', () => {
      expect(
        consoleSettings({ organisations: [org('A', 'Ningde Rural Commercial Bank')], ...catalogue }).language,
      ).to.equal('en');
    });
  });

  describe('serving', () => {
    let dir: string;
    let url: string;
    let close: () => void;

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'console-mount-'));
      const app = express();
      mountConsole(app, consoleSettings({ organisations: [org('A', 'Bank A')], ...catalogue }), dir);
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      close = () => server.close();
    });

    after(() => {
      close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('when the console is not built, then /console/ answers 503 with the command that builds it', async () => {
      const res = await fetch(`${url}/console/`);
      expect(res.status).to.equal(503);
      expect(await res.text()).to.contain('npm run build');
    });

    it('when built, then /console/ is its index with a CSP allowing no inline script, and /console redirects there', async () => {
      writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console</title>');
      const res = await fetch(`${url}/console/`);
      expect(res.status).to.equal(200);
      expect(await res.text()).to.equal('<!doctype html><title>console</title>');
      const csp = res.headers.get('content-security-policy');
      expect(csp).to.equal(CONSOLE_CSP);
      expect(csp).to.contain("script-src 'self'");
      expect(csp).not.to.contain('unsafe-inline');
      expect(csp).not.to.contain('unsafe-eval');
      const bare = await fetch(`${url}/console`, { redirect: 'manual' });
      expect(bare.status).to.equal(301);
      expect(bare.headers.get('location')).to.equal('/console/');
    });

    it('then /console/settings.json gives the language and the organisations', async () => {
      const res = await fetch(`${url}/console/settings.json`);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({
        language: 'en',
        organisations: [{ mspId: 'A', name: 'Bank A', role: 'BANK' }],
        datasetTypes: [{ code: 'HOMESTEAD', name: 'Homestead', provider: 'P' }],
        assetTypes: [],
      });
    });
  });
});
