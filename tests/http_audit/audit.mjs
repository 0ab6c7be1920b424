// Runs graphql-http's server audits against a live API and fails on any MUST or SHOULD.
// Usage: AUDIT_URL=http://127.0.0.1:8000/graphql AUDIT_TOKEN=<bearer> node audit.mjs
import { serverAudits } from 'graphql-http';

const url = process.env.AUDIT_URL;
const token = process.env.AUDIT_TOKEN;
if (!url || !token) {
  console.error('AUDIT_URL and AUDIT_TOKEN are required');
  process.exit(2);
}

// Every audit request carries the bearer token, as any client of this API must.
function authorised(input, init = {}) {
  const headers = new Headers(init.headers || {});
  headers.set('Authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const counts = { MUST: [0, 0], SHOULD: [0, 0], MAY: [0, 0] };
let failed = 0;
for (const audit of serverAudits({ url, fetchFn: authorised })) {
  const result = await audit.fn();
  const level = audit.name.split(' ')[0].replace('NOT', '').trim() || 'MAY';
  const tally = counts[level] || counts.MAY;
  tally[1] += 1;
  if (result.status === 'ok') {
    tally[0] += 1;
    continue;
  }
  const required = level === 'MUST' || level === 'SHOULD';
  if (required) failed += 1;
  console.log(`${required ? 'FAIL' : 'note'} ${audit.id} ${audit.name}: ${result.reason}`);
}
for (const [level, [ok, all]] of Object.entries(counts)) {
  console.log(`${level}: ${ok}/${all}`);
}
console.log(`${counts.MUST[0] + counts.SHOULD[0]} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
