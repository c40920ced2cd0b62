import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchPage } from '../providers/amplify/branch-site.js';
import type { DemoStack } from './demo-stack.js';

// What the demo shows after phase 3: the Amplify branch URL of the migrated app, fetched for real from
// the stand-in that serves the deployed build, with the status and the page's title.

export interface ServedPage {
  url: string;
  status: number;
  title: string;
}

export async function demoBranchPage(
  stack: DemoStack,
  appName: string,
  branch: string,
): Promise<ServedPage | undefined> {
  const record = [...stack.amplify.apps.values()].find((a) => a.app.name === appName);
  if (!record) return undefined;
  const url = `https://${branch}.${record.app.defaultDomain as string}/`;
  const answer = await fetchPage(url, { via: stack.amplify.hostingUrl });
  const dir = stack.amplify.servedDir(record.app.appId as string, branch);
  let title = '';
  try {
    title = dir ? (readFileSync(join(dir, 'index.html'), 'utf8').match(/<h1>([^<]*)<\/h1>/)?.[1] ?? '') : '';
  } catch {
    title = '';
  }
  return { url, status: answer.status, title };
}
