import type { HostingSettings } from '../../core/hosting-source.js';

// The amplify.yml build spec made from the source project's framework and commands, and the Amplify
// platform the app needs: WEB_COMPUTE for server-rendered Next.js, WEB for static output.

interface FrameworkDefaults {
  build: string;
  output: string;
  /** Amplify's framework label on the branch. */
  label: string;
}

const FRAMEWORKS: Record<string, FrameworkDefaults> = {
  nextjs: { build: 'npm run build', output: '.next', label: 'Next.js - SSR' },
  vite: { build: 'npm run build', output: 'dist', label: 'Web' },
  'create-react-app': { build: 'npm run build', output: 'build', label: 'React' },
  vue: { build: 'npm run build', output: 'dist', label: 'Vue' },
  nuxtjs: { build: 'npm run generate', output: '.output/public', label: 'Nuxt' },
  sveltekit: { build: 'npm run build', output: 'build', label: 'SvelteKit' },
  astro: { build: 'npm run build', output: 'dist', label: 'Astro' },
  gatsby: { build: 'npm run build', output: 'public', label: 'Gatsby' },
  angular: { build: 'npm run build', output: 'dist', label: 'Angular' },
};

export type AmplifyPlatform = 'WEB' | 'WEB_COMPUTE';

/** Next.js with a static export ("out") runs on WEB; any other Next.js app needs server compute. */
export function platformFor(settings: HostingSettings, override?: AmplifyPlatform): AmplifyPlatform {
  if (override) return override;
  if (settings.framework === 'nextjs' && settings.outputDirectory !== 'out') return 'WEB_COMPUTE';
  // A server process (Render web service, Railway service) with a start command needs compute.
  if (settings.serviceType !== null && settings.serviceType !== 'static_site' && settings.startCommand)
    return 'WEB_COMPUTE';
  return 'WEB';
}

export function frameworkLabel(settings: HostingSettings, platform: AmplifyPlatform): string {
  if (settings.framework === 'nextjs') return platform === 'WEB_COMPUTE' ? 'Next.js - SSR' : 'Next.js - SSG';
  return (settings.framework && FRAMEWORKS[settings.framework]?.label) || 'Web';
}

/** YAML scalars that need quoting ("**\/*", commands with ": " or leading special characters). */
function scalar(value: string): string {
  return /^[\w./@${}=-][^:#]*$/.test(value) && !/[:#]\s|\s$/.test(value) ? value : JSON.stringify(value);
}

export function buildSpec(settings: HostingSettings): string {
  const defaults = (settings.framework && FRAMEWORKS[settings.framework]) || {
    build: 'npm run build',
    output: 'dist',
    label: 'Web',
  };
  const install = settings.installCommand?.trim() || 'npm ci';
  const build = settings.buildCommand?.trim() || defaults.build;
  const output = settings.outputDirectory?.trim() || defaults.output;
  const node = settings.nodeVersion?.match(/^(\d+)/)?.[1];
  const preBuild = [...(node ? [`nvm install ${node}`, `nvm use ${node}`] : []), install];
  const root = settings.rootDirectory?.replace(/^\.?\/+|\/+$/g, '') || '';

  const frontend = (indent: string) =>
    [
      `${indent}frontend:`,
      `${indent}  phases:`,
      `${indent}    preBuild:`,
      `${indent}      commands:`,
      ...preBuild.map((c) => `${indent}        - ${scalar(c)}`),
      `${indent}    build:`,
      `${indent}      commands:`,
      `${indent}        - ${scalar(build)}`,
      `${indent}  artifacts:`,
      `${indent}    baseDirectory: ${scalar(output)}`,
      `${indent}    files:`,
      `${indent}      - '**/*'`,
      `${indent}  cache:`,
      `${indent}    paths:`,
      `${indent}      - 'node_modules/**/*'`,
      ...(settings.framework === 'nextjs' ? [`${indent}      - '.next/cache/**/*'`] : []),
    ].join('\n');

  // A monorepo app lives under `appRoot` (Amplify's monorepo form of the spec).
  if (root)
    return ['version: 1', 'applications:', `  - appRoot: ${scalar(root)}`, frontend('    '), ''].join('\n');
  return ['version: 1', frontend(''), ''].join('\n');
}
