/**
 * The web console in headless Chromium against the whole system: what a person does in it, and no
 * console error or page error on the way. A screenshot of each page is kept in test-results/console/.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { buildConsole, consoleBuildIsStale } from '../../scripts/console-build.ts';
import { type Stack, startStack } from '../fixture.ts';
import { registerGatedTemplate, settled, statusOf, submit, submitGated } from '../pipelines.ts';
import { openBrowser, PHONE, type Session } from './browser.ts';

/** The test command builds the console first; run alone, this file builds it when it is stale. */
function ensureConsoleBuilt(): void {
  if (consoleBuildIsStale()) assert.ok(buildConsole(), 'building the console failed');
}

describe('web console', { timeout: 110_000 }, () => {
  let stack: Stack;
  let s: Session;
  let ui: string;

  before(async () => {
    ensureConsoleBuilt();
    stack = await startStack();
    await registerGatedTemplate(stack);
    s = await openBrowser('console');
    ui = `${stack.system.gatewayUrl}/ui/`;
    await s.page.goto(ui);
    await s.shot('sign-in');
    await s.page.getByLabel('API key').fill(stack.apiKey);
    await s.page.getByRole('button', { name: 'Sign in' }).click();
    await s.page.getByRole('navigation', { name: 'Main' }).waitFor();
    await s.page.getByText('default · admin').waitFor();
  });
  after(async () => {
    await s?.close();
    await stack?.stop();
  });
  afterEach(() => {
    assert.deepEqual(s.problems.splice(0), [], 'the page logged errors');
  });

  const open = async (hash: string) => {
    await s.page.goto(`${ui}#${hash}`);
    await s.page.locator('main h1').first().waitFor();
  };
  const statusBadge = () => s.page.locator('.titlebar .badge').first();
  const logs = () => s.page.getByRole('log', { name: 'Log lines' });

  test('submit from the form generated from the template schema; logs arrive live; it succeeds', async () => {
    const gate = join(stack.dir, `gate-${Date.now()}`);
    await s.page.getByRole('link', { name: 'Submit' }).click();
    await s.page.getByLabel('Template').selectOption('gated');
    await s.page.getByLabel('gate_path').fill(gate);
    await s.page.getByLabel('Priority').selectOption('High');
    await s.page.getByLabel('Timeout (seconds)').fill('120');
    await s.shot('submit');
    await s.page.getByRole('button', { name: 'Submit' }).click();

    await s.page.waitForURL(/#\/pipelines\/[0-9a-f-]{36}$/);
    const id = new URL(s.page.url()).hash.split('/')[2] ?? '';
    const submitted = (await (await stack.api(`/pipelines/${id}`)).json()) as Record<string, unknown>;
    assert.deepEqual(
      [submitted.pipeline_type, submitted.config, submitted.priority, submitted.timeout_seconds],
      [{ Custom: { template: 'gated' } }, { gate_path: gate }, 'High', 120],
    );

    // The first line shows while the pod still runs (it waits for the gate): it came live.
    await logs().getByText('first line').waitFor();
    await statusBadge().filter({ hasText: 'Running' }).waitFor();
    assert.equal(await logs().getByText('second line').count(), 0);
    assert.equal((await statusOf(stack, id)).status, 'Running');
    await s.shot('pipeline-running');

    writeFileSync(gate, '');
    await logs().getByText('second line').waitFor();
    await statusBadge().filter({ hasText: 'Succeeded' }).waitFor({ timeout: 60_000 });
    await s.page.getByText('Attempt 1', { exact: true }).waitFor();
    await s.shot('pipeline-succeeded');
  });

  test("the API's validation message shows at the field it names", async () => {
    await open('/submit');
    await s.page.getByLabel('Template').selectOption('data-processing');
    await s.page.getByLabel('input_path').fill('/tmp/in.txt');
    await s.page.getByLabel('output_path').fill('/tmp/out.json');
    await s.page.getByLabel('batch_size').fill('lots');
    await s.page.getByRole('button', { name: 'Submit' }).click();

    const alert = s.page.locator('#submit-error');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /config\.batch_size/);
    assert.equal(await s.page.getByLabel('batch_size').getAttribute('aria-invalid'), 'true');
    assert.equal(await s.page.getByLabel('input_path').getAttribute('aria-invalid'), null);
    await s.page.locator('#cfg-batch_size-error').waitFor();
    await s.shot('submit-invalid');
    // The browser reports the API's 400 in the console; that one is this test's point, nothing else is.
    const refused = s.problems.findIndex((p) => p.includes('status of 400'));
    assert.ok(refused >= 0, 'the browser saw the 400');
    s.problems.splice(refused, 1);
  });

  test('open a failed pipeline from the filtered list and restart it', async () => {
    const failed = await submit(stack, {
      pipeline_type: 'DataProcessing',
      config: { input_path: join(stack.dir, 'no-such-input.txt'), output_path: join(stack.dir, 'out.json') },
      priority: 'Normal',
    });
    assert.equal((await settled(stack, failed.id)).status, 'Failed');

    await open('/pipelines?status=Failed');
    const row = s.page.locator(`tr[data-id="${failed.id}"]`);
    await row.waitFor();
    assert.equal(await s.page.locator('tbody tr').count(), 1, 'only the failed pipeline is listed');
    await s.shot('pipelines-failed');
    await row.getByRole('link').click();

    await statusBadge().filter({ hasText: 'Failed' }).waitFor();
    await logs().getByText('error: input not found').waitFor();
    await s.shot('pipeline-failed');
    await s.page.getByRole('button', { name: 'Restart' }).click();

    await s.page.getByText('Attempt 2', { exact: true }).waitFor({ timeout: 60_000 });
    await statusBadge().filter({ hasText: 'Failed' }).waitFor({ timeout: 60_000 });
    const after = await statusOf(stack, failed.id);
    assert.deepEqual([after.status, after.attempt], ['Failed', 2]);
    await s.shot('pipeline-restarted');
  });

  test('cancel a running pipeline', async () => {
    const running = await submitGated(stack, join(stack.dir, `never-${Date.now()}`));
    await open(`/pipelines/${running.id}`);
    await logs().getByText('first line').waitFor({ timeout: 60_000 });
    await s.page.getByRole('button', { name: 'Cancel' }).click();
    await statusBadge().filter({ hasText: 'Cancelled' }).waitFor();
    assert.equal((await settled(stack, running.id)).status, 'Cancelled');
    await s.page.getByRole('button', { name: 'Restart' }).waitFor();
    await s.shot('pipeline-cancelled');
  });

  test('a viewer sees a running pipeline and its logs, without Submit or Cancel', async () => {
    const made = await stack.api('/keys', {
      method: 'POST',
      body: JSON.stringify({ name: 'ui-viewer', role: 'viewer' }),
    });
    assert.equal(made.status, 201);
    const viewerKey = ((await made.json()) as { key: string }).key;
    const running = await submitGated(stack, join(stack.dir, `viewer-gate-${Date.now()}`));

    const page = await s.isolatedPage();
    await page.goto(ui);
    await page.getByLabel('API key').fill(viewerKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('default · viewer').waitFor();
    assert.deepEqual(s.problems, [], "a viewer's sign-in logs no error");

    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.deepEqual(await nav.getByRole('link').allTextContents(), ['Pipelines', 'Templates', 'Quota']);
    await page.goto(`${ui}#/pipelines/${running.id}`);
    await page.getByRole('log', { name: 'Log lines' }).getByText('first line').waitFor({ timeout: 60_000 });
    assert.equal(await page.getByRole('button', { name: 'Cancel' }).count(), 0);
    await s.shot('viewer-pipeline', page);
    await page.context().close();
    await stack.api(`/pipelines/${running.id}/cancel`, { method: 'POST' });
  });

  test('templates (admin editor), quota and dead letters, at laptop and phone width', async () => {
    await open('/templates');
    await s.page.getByRole('heading', { name: /gated/ }).waitFor();
    await s.page.getByRole('button', { name: 'Create' }).click();
    const outcome = s.page.locator('main [role=status], main [role=alert]').first();
    await outcome.waitFor();
    assert.equal(await outcome.textContent(), 'Saved hello version 1.');
    const hello = await stack.api('/templates/hello');
    assert.equal(hello.status, 200);
    await s.shot('templates');

    await open('/quota');
    await s.page.getByText(/Running: \d+ of \d+/).waitFor();
    await s.shot('quota');
    await open('/dead-letters');
    await s.page.getByText('No dead letters.').waitFor();
    await s.shot('dead-letters');

    await s.page.setViewportSize(PHONE);
    for (const [name, hash] of [
      ['pipelines', '/pipelines'],
      ['submit', '/submit'],
      ['templates', '/templates'],
    ] as const) {
      await open(hash);
      // Nothing wider than the phone: the page scrolls down, not sideways.
      const overflow = await s.page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      assert.ok(Number(overflow) <= 0, `${name} is ${overflow}px wider than a phone`);
      await s.shot(`phone-${name}`);
    }
  });
});
