import type { App } from '@aws-sdk/client-amplify';
import type { CreatedResource } from '../../core/contracts.js';
import { EngifyError } from '../../core/errors.js';
import { messages } from '../../core/messages.js';
import { planDrift } from '../../core/plan-drift.js';
import type { Check, PlannedAction, Step, StepContext } from '../../core/step.js';
import { type AmplifyOps, OWNER_TAG } from '../../providers/amplify/app.js';
import { buildSpec, frameworkLabel, platformFor } from '../../providers/amplify/build-spec.js';
import { amplifyConfig, frontendSource, hostingEnabled, ops, unreadableCheck } from './hosting-shared.js';

// hosting.app: the Amplify app (platform and build spec from the source project) and its production
// branch. Only an app this tool created is ever changed or deleted; a same-named app that someone else
// made is an error unless target.amplify.adopt is set (then it is used as is and left on rollback).

const APP = 'amplify-app';
const BRANCH = 'amplify-branch';
const m = messages.hosting;

interface Desired {
  name: string;
  branch: string;
  platform: 'WEB' | 'WEB_COMPUTE';
  buildSpec: string;
  framework: string;
}

async function desired(ctx: StepContext): Promise<Desired> {
  const a = amplifyConfig(ctx);
  const settings = await frontendSource(ctx).settings();
  const platform = platformFor(settings, a.platform);
  return {
    name: a.appName,
    branch: a.branch,
    platform,
    buildSpec: buildSpec(settings),
    framework: frameworkLabel(settings, platform),
  };
}

const ownsApp = (ctx: StepContext, app: App) =>
  ctx.journal.createdResources().some((r) => r.kind === APP && r.id === app.appId);

/** The app this step works on, if any, and how we hold it. Throws on a collision. */
async function locate(
  ctx: StepContext,
  amplify: AmplifyOps,
  name: string,
): Promise<{ app: App; owned: boolean } | undefined> {
  const mine = ctx.journal.createdResources().find((r) => r.kind === APP);
  if (mine?.id) {
    const app = await amplify.getApp(mine.id);
    if (app) return { app, owned: true };
  }
  const same = await amplify.findApps(name);
  const pending = ctx.journal.pendingIntents().some((r) => r.kind === APP && r.name === name);
  const tagged = same.find((x) => x.tags?.[OWNER_TAG] === ctx.config.project);
  // A crash between CreateApp and the journal's `created`: the tagged app is ours.
  if (pending && tagged) return { app: tagged, owned: true };
  const adopted = ctx.journal.outputOf('hosting.app', 'adopted') === true;
  const found = same[0];
  if (!found) return undefined;
  if (
    amplifyConfig(ctx).adopt ||
    (adopted && same.some((x) => x.appId === ctx.journal.outputOf('hosting.app', 'appId')))
  )
    return { app: found, owned: false };
  throw new EngifyError({
    code: 'AMPLIFY_APP_COLLISION',
    kind: 'config',
    message: m.appCollision(name, found.appId ?? '?'),
    hint: m.appCollisionHint,
  });
}

/** The app (with the id plan found, null when there was none) and its production branch. */
type AppAction =
  | PlannedAction<'app', { platform: string; framework: string; buildSpec: string; appId: string | null }>
  | PlannedAction<'branch', { branch: string }>;

export const hostingAppStep: Step<AppAction> = {
  id: 'hosting.app',
  phase: 3,
  component: 'hosting',
  title: 'Amplify app and production branch from the Vercel/Render/Railway project',
  dependsOn: [],
  enabled: hostingEnabled,

  async plan(ctx) {
    const want = await desired(ctx);
    const amplify = await ops(ctx);
    let located: { app: App; owned: boolean } | undefined;
    const warnings: string[] = [];
    try {
      located = await locate(ctx, amplify, want.name);
    } catch (error) {
      if (!(error instanceof EngifyError) || error.code !== 'AMPLIFY_APP_COLLISION') throw error;
      warnings.push(`${error.message} ${error.hint ?? ''}`.trim());
    }
    const changes: AppAction[] = [];
    const spec = {
      platform: want.platform,
      framework: want.framework,
      buildSpec: want.buildSpec,
      appId: located?.app.appId ?? null,
    };
    if (!located)
      changes.push({
        action: 'create',
        resource: `amplify app ${want.name}`,
        summary: `create Amplify app ${want.name} (${want.platform}, ${want.framework})`,
        subject: 'app',
        details: spec,
        ...(warnings.length ? { warnings } : {}),
      });
    else if (
      located.owned &&
      (located.app.platform !== want.platform || located.app.buildSpec !== want.buildSpec)
    )
      changes.push({
        action: 'update',
        resource: `amplify app ${want.name}`,
        summary: 'update platform / build spec',
        subject: 'app',
        details: spec,
      });
    else if (!located.owned && ctx.journal.outputOf('hosting.app', 'appId') !== located.app.appId)
      changes.push({
        action: 'update',
        resource: `amplify app ${want.name}`,
        summary: `adopt existing app ${located.app.appId} (its build settings are left as they are)`,
        subject: 'app',
        details: spec,
      });
    else
      changes.push({
        action: 'noop',
        resource: `amplify app ${want.name}`,
        summary: located.owned ? 'in step' : `adopted existing app ${located.app.appId}`,
        subject: 'app',
        details: spec,
      });
    const branch = located?.app.appId ? await amplify.getBranch(located.app.appId, want.branch) : undefined;
    changes.push(
      branch
        ? {
            action: 'noop',
            resource: `amplify branch ${want.branch}`,
            summary: 'in step',
            subject: 'branch',
            details: { branch: want.branch },
          }
        : {
            action: 'create',
            resource: `amplify branch ${want.branch}`,
            summary: `create branch ${want.branch} (stage PRODUCTION)`,
            subject: 'branch',
            details: { branch: want.branch },
          },
    );
    return changes;
  },

  async apply(ctx, change) {
    const want = await desired(ctx);
    const amplify = await ops(ctx);
    let located = await locate(ctx, amplify, want.name);
    if (change.subject === 'app') {
      const plannedId = change.details.appId;
      const foundId = located?.app.appId ?? null;
      // An app that appeared since the plan (not one an interrupted run of ours made), or another one
      // than plan found, is not what the user reviewed.
      if (plannedId === null ? foundId !== null && !located?.owned : foundId !== plannedId)
        throw planDrift(
          this.id,
          change.resource,
          plannedId ? `app ${plannedId}` : 'no such app',
          foundId ? `app ${foundId}` : 'no such app',
        );
    }
    if (!located) {
      const resource: CreatedResource = { kind: APP, name: want.name };
      ctx.journal.intent(resource);
      const app = await amplify.createApp({
        name: want.name,
        platform: want.platform,
        buildSpec: want.buildSpec,
        description: `Migrated by engify-migrate (project ${ctx.config.project})`,
        tags: { [OWNER_TAG]: ctx.config.project },
      });
      ctx.journal.created({ ...resource, id: app.appId });
      located = { app, owned: true };
    } else if (located.owned && !ownsApp(ctx, located.app)) {
      ctx.journal.created({ kind: APP, name: want.name, id: located.app.appId });
    } else if (
      located.owned &&
      (located.app.platform !== want.platform || located.app.buildSpec !== want.buildSpec)
    ) {
      located.app = await amplify.updateApp(located.app.appId as string, {
        platform: want.platform,
        buildSpec: want.buildSpec,
      });
    }
    const appId = located.app.appId as string;
    if (ctx.journal.outputOf('hosting.app', 'appId') !== appId) {
      ctx.journal.output('appId', appId);
      ctx.journal.output('defaultDomain', located.app.defaultDomain ?? '');
      ctx.journal.output('adopted', !located.owned);
    }
    if (change.subject === 'app') return;

    const branch = await amplify.getBranch(appId, want.branch);
    const resource: CreatedResource = { kind: BRANCH, name: want.branch, id: appId };
    if (!branch) {
      ctx.journal.intent(resource);
      await amplify.createBranch(appId, want.branch, want.framework);
      ctx.journal.created(resource);
    } else if (
      ctx.journal.pendingIntents().some((r) => r.kind === BRANCH && r.name === want.branch && r.id === appId)
    ) {
      ctx.journal.created(resource);
    }
    if (ctx.journal.outputOf('hosting.app', 'branch') !== want.branch)
      ctx.journal.output('branch', want.branch);
  },

  async verify(ctx) {
    const checks: Check[] = [];
    try {
      const a = amplifyConfig(ctx);
      const amplify = await ops(ctx);
      const appId = ctx.journal.outputOf('hosting.app', 'appId');
      const app = typeof appId === 'string' ? await amplify.getApp(appId) : undefined;
      checks.push({
        name: `amplify app ${a.appName}`,
        expected: 'present',
        actual: app ? 'present' : 'missing',
        ok: !!app,
        ...(app ? {} : { hint: m.missingAppHint }),
      });
      if (!app) return checks;
      const want = await desired(ctx);
      if (ctx.journal.outputOf('hosting.app', 'adopted') !== true)
        checks.push({
          name: 'amplify platform',
          expected: want.platform,
          actual: app.platform ?? null,
          ok: app.platform === want.platform,
        });
      const branch = await amplify.getBranch(app.appId as string, a.branch);
      checks.push({
        name: `amplify branch ${a.branch}`,
        expected: 'PRODUCTION',
        actual: branch ? (branch.stage ?? 'NONE') : 'missing',
        ok: branch?.stage === 'PRODUCTION',
        ...(branch?.stage === 'PRODUCTION' ? {} : { hint: m.missingAppHint }),
      });
    } catch (error) {
      checks.push(unreadableCheck('amplify app', error));
    }
    return checks;
  },

  async rollback(ctx) {
    const amplify = await ops(ctx);
    const created = ctx.journal.createdResources();
    const app = created.find((r) => r.kind === APP);
    // Deleting the app takes its branches with it; a branch we added to an adopted app goes alone.
    for (const r of created.filter((x) => x.kind === BRANCH).reverse()) {
      if (!app) await amplify.deleteBranch(r.id as string, r.name);
      ctx.journal.undone({ resource: r });
    }
    if (app?.id) {
      await amplify.deleteApp(app.id);
      ctx.journal.undone({ resource: app });
    }
    for (const r of ctx.journal.pendingIntents()) {
      if (r.kind !== APP) {
        ctx.journal.undone({ resource: r });
        continue;
      }
      const ours = (await amplify.findApps(r.name)).filter((x) => x.tags?.[OWNER_TAG] === ctx.config.project);
      for (const x of ours) await amplify.deleteApp(x.appId as string);
      ctx.journal.undone({ resource: r });
    }
  },
};
