// The IDE and the schema picture in a real browser (Debian's chromium, headless), against a
// live server with the demo seed, with every host but 127.0.0.1 unresolvable.
//
// Environment: IDE_URL (the /graphql page), TOKEN_ORG and TOKEN_ADMIN (bearer tokens of
// demo-org and demo-admin), SCREENSHOT (where to save the IDE's picture), README (the
// README whose first GraphQL block is run). Exit status 1 on the first failed check.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const ideUrl = new URL(process.env.IDE_URL);
const { TOKEN_ORG, TOKEN_ADMIN, SCREENSHOT, README } = process.env;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const STEP_MS = 30_000;
const HAN = /[\u4e00-\u9fff]/;
// The Headers pane is open from the start (the Variables editor beside it is hidden).
const HEADERS_EDITOR = '.graphiql-editor-tool .graphiql-editor:visible';

const readme = await readFile(README, 'utf8');
const readmeQuery = /```graphql\n([\s\S]*?)```/.exec(readme)[1];
assert.match(readmeQuery, /cadres\(first: 5/, "the README's first GraphQL block is its roster query");

const profile = await mkdtemp(path.join(tmpdir(), 'cadre-browser-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1440, height: 900 },
  permissions: ['clipboard-read', 'clipboard-write'],
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  ],
});
context.setDefaultTimeout(STEP_MS);

const foreign = [];
const problems = [];
const watch = (page) => {
  page.on('request', (request) => {
    const { protocol, hostname } = new URL(request.url());
    if (['http:', 'https:', 'ws:', 'wss:'].includes(protocol) && hostname !== '127.0.0.1') {
      foreign.push(request.url());
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.url()}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
};
context.on('page', watch);

let failed = false;
try {
  await ide(await context.newPage());
  await voyager(await context.newPage());
  assert.deepEqual(foreign, [], 'requests to hosts other than 127.0.0.1');
  // CSP refusals and failed loads show up as console errors.
  assert.deepEqual(problems.filter((text) => !/401|Unauthorized/.test(text)), []);
  console.log('browser test: all checks passed; 0 requests to other hosts');
} catch (error) {
  failed = true;
  console.error(error);
  console.error('console and page errors:', problems);
  await context.pages().at(-1)?.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-failure.png') });
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

async function ide(page) {
  const posts = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().startsWith(ideUrl.origin)) posts.push(request);
  });
  await page.goto(ideUrl.href);

  // The first screen explains where the token goes, and sends nothing without one.
  const signIn = page.locator('.cadre-sign-in');
  await signIn.waitFor();
  assert.match(await signIn.innerText(), /Headers/);
  await page.locator('.cadre-status[data-token="absent"]').waitFor();
  await page.waitForTimeout(500);
  assert.equal(posts.length, 0, 'no request is sent before a token is pasted');
  assert.doesNotMatch(await page.locator('body').innerText(), /unauthenticated|error fetching/i);

  // The token goes into the Headers pane; the schema follows without a refetch.
  const introspected = page.waitForResponse((response) => response.request().method() === 'POST'
      && /__schema/.test(response.request().postData() ?? ''));
  await replaceEditorText(page, HEADERS_EDITOR,
    JSON.stringify({ Authorization: `Bearer ${TOKEN_ORG}` }, null, 2));
  const introspection = await introspected;
  assert.equal(introspection.status(), 200);
  assert.equal(introspection.request().headers().authorization, `Bearer ${TOKEN_ORG}`);
  await page.locator('.cadre-status[data-token="present"]').waitFor();

  // The README's query runs and its answer, Chinese names included, is shown.
  await replaceEditorText(page, '.graphiql-query-editor .graphiql-editor', readmeQuery);
  const answered = page.waitForResponse((response) => response.request().method() === 'POST'
      && /cadres\(first: 5/.test(response.request().postData() ?? ''));
  await page.locator('.graphiql-execute-button').click();
  const answer = await (await answered).json();
  assert.equal(answer.data.me.username, 'demo-org');
  assert.ok(answer.data.cadres.edges.length > 0, 'the roster has deputies');
  const response = page.locator('.graphiql-response .view-lines');
  await response.filter({ hasText: '"username": "demo-org"' }).waitFor();
  const shown = await response.innerText();
  assert.match(shown, HAN, 'the result shows Chinese text');
  assert.ok(await drawsHan(page, '.graphiql-response .view-lines'), 'Chinese is drawn, not as boxes');
  // Headers are not persisted unless the user opts in: the token is in no browser storage.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
  assert.ok(stored.length > 2, 'GraphiQL keeps its tabs in storage');
  assert.ok(!stored.includes(TOKEN_ORG), 'the token is not stored');
  // The explorer plugin lists the root fields of the caller's schema.
  await page.getByRole('button', { name: 'Show GraphiQL Explorer' }).click();
  await page.locator('.graphiql-plugin').getByText('cadres', { exact: true }).first().waitFor();
  await page.screenshot({ path: SCREENSHOT });

  // The schema picture opened from the IDE receives its token, with no second paste.
  const opened = context.waitForEvent('page');
  await page.locator('.cadre-status .cadre-schema-picture').click();
  const picture = await opened;
  await picture.locator('svg [id="TYPE::Cadre"]').waitFor();
  assert.equal(await picture.locator('input[name="token"]').count(), 0);
  await picture.close();

  // The docs open on Cadre.
  await page.getByRole('button', { name: /documentation explorer/i }).click();
  const docs = page.locator('.graphiql-doc-explorer');
  const search = docs.locator('[data-cy="doc-explorer-input"]');
  await search.click();
  await search.pressSequentially('Cadre');
  // The results follow the input after a 200 ms pause: pick from the settled list.
  await page.waitForTimeout(600);
  await page.locator('[data-cy="doc-explorer-option"]')
    .filter({ has: page.locator('.graphiql-doc-explorer-search-type', { hasText: /^Cadre$/ }) })
    .click();
  await docs.locator('.graphiql-doc-explorer-title').filter({ hasText: /^Cadre$/ }).waitFor();
  assert.match(await docs.innerText(), /idNumber/);

  // Autocomplete offers the fields of the caller's schema.
  await page.locator('.graphiql-query-editor .graphiql-editor').first().click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  // Typed key by key: the editor closes each bracket behind the cursor.
  await page.keyboard.type('{ cadres(first: 1) { edges { node { idN', { delay: 20 });
  await page.keyboard.press('Control+Space');
  const suggestions = page.locator('.monaco-editor .suggest-widget');
  await suggestions.filter({ hasText: 'idNumber' }).waitFor();
  await page.keyboard.press('Escape');

  // Another token, another schema: the admin's view, fetched as soon as the token changes.
  const reintrospected = page.waitForResponse((response) => response.request().method() === 'POST'
      && response.request().headers().authorization === `Bearer ${TOKEN_ADMIN}`
      && /__schema/.test(response.request().postData() ?? ''));
  await replaceEditorText(page, HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${TOKEN_ADMIN}` }));
  const adminTypes = (await (await reintrospected).json()).data.__schema.types.map((t) => t.name);
  assert.ok(!adminTypes.includes('Cadre') && adminTypes.includes('AuditEvent'));
  await search.fill('');
  await search.pressSequentially('Cadre');
  await page.waitForTimeout(600);
  const cadreOptions = page.locator('[data-cy="doc-explorer-option"]')
    .filter({ has: page.locator('.graphiql-doc-explorer-search-type', { hasText: /^Cadre$/ }) });
  assert.equal(await cadreOptions.count(), 0, "the admin's docs have no Cadre type");
  console.log('IDE: first screen, token, README query, Chinese glyphs, explorer, schema picture, docs for Cadre, '
    + 'autocomplete, and a new schema for a new token checked');
}

async function voyager(page) {
  const typesFor = async (token) => {
    await page.goto(new URL('/graphql/voyager', ideUrl).href);
    await page.locator('input[name="token"]').fill(token);
    await page.getByRole('button', { name: /show my schema/i }).click();
    await page.locator('svg [id^="TYPE::"]').first().waitFor();
    return page.evaluate(() => ({
      types: [...document.querySelectorAll('svg [id^="TYPE::"]')].map((node) => node.id.slice(6)),
      fields: [...document.querySelectorAll('svg [id^="FIELD::"]')].map((node) => node.id.slice(7)),
    }));
  };
  const org = await typesFor(TOKEN_ORG);
  assert.ok(org.types.includes('Cadre'), 'the organization department sees cadres');
  assert.ok(org.fields.includes('Cadre::idNumber'), '... and their identity numbers');
  const admin = await typesFor(TOKEN_ADMIN);
  assert.ok(admin.types.length > 0);
  assert.ok(!admin.types.includes('Cadre'), 'the system admin sees no cadre type');
  assert.ok(!admin.fields.some((field) => field.startsWith('Cadre::')), '... and no cadre field');
  assert.ok(!admin.fields.includes('Cadre::idNumber'));
  await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-voyager.png') });
  console.log(`Voyager: demo-org ${org.types.length} types, demo-admin ${admin.types.length} types`
    + ` (${admin.types.join(', ')})`);
}

// Whether the font of `selector` draws Han characters with glyphs of their own: with no
// Chinese font they come out as the same boxes as unassigned code points.
async function drawsHan(page, selector) {
  return page.locator(selector).first().evaluate((element) => {
    const style = getComputedStyle(element);
    const canvas = document.createElement('canvas');
    canvas.width = 240;
    canvas.height = 48;
    const context = canvas.getContext('2d');
    context.font = `${style.fontSize} ${style.fontFamily}`;
    const draw = (text) => {
      context.clearRect(0, 0, canvas.width, canvas.height);
      context.fillText(text, 0, 36);
      return context.getImageData(0, 0, canvas.width, canvas.height).data.join();
    };
    return draw('鹤城区') !== draw('\u{F0000}\u{F0001}\u{F0002}');
  });
}

// Pastes `text` over the contents of a Monaco editor, through the clipboard as a user would.
async function replaceEditorText(page, selector, text) {
  const editor = page.locator(selector).first();
  await editor.locator('.monaco-editor').waitFor();
  await editor.click();
  await page.evaluate((value) => navigator.clipboard.writeText(value), text);
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Control+V');
}
