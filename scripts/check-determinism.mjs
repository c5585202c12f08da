#!/usr/bin/env node
// Fails the build when chaincode source uses wall-clock time or randomness:
// every endorsing peer must compute the same result from the same proposal.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const forbidden = [
  [/\bDate\.now\s*\(/, 'Date.now()'],
  [/\bnew\s+Date\s*\(/, 'new Date()'],
  [/\bMath\.random\s*\(/, 'Math.random()'],
  [/\brandomUUID\b|\bfrom\s+['"]uuid['"]|require\(\s*['"]uuid['"]\s*\)/, 'uuid'],
  [/\bcrypto\.random|\brandomBytes\s*\(/, 'random bytes'],
];

function* sources(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

const hits = [];
for (const file of sources(join(root, 'chaincode', 'src'))) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      for (const [pattern, what] of forbidden) {
        if (pattern.test(line)) hits.push(`${relative(root, file)}:${i + 1}: ${what}: ${line.trim()}`);
      }
    });
}
if (hits.length > 0) {
  console.error('Chaincode must be deterministic; use the transaction timestamp and ID from the stub:');
  for (const h of hits) console.error(`  ${h}`);
  process.exit(1);
}
console.log('determinism check: chaincode/src uses no wall clock or randomness');
