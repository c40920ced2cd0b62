// What the hosting steps read from a frontend/backend host (Vercel project, Render service). The
// shapes are provider-neutral so the Amplify side never knows which provider it came from.

export interface HostingSettings {
  provider: 'vercel' | 'render' | 'railway';
  /** Project / service name (for messages). */
  name: string;
  /** Framework slug as the provider names it ("nextjs", "vite", ...) or null. */
  framework: string | null;
  buildCommand: string | null;
  outputDirectory: string | null;
  installCommand: string | null;
  rootDirectory: string | null;
  /** "20.x" style, or null when the provider does not say. */
  nodeVersion: string | null;
  startCommand: string | null;
  runtime: string | null;
  region: string | null;
  /** Render's service type ("static_site", "web_service", ...); "web_service" for Railway; null for Vercel. */
  serviceType: string | null;
  /** Render web services: what a backend move needs besides the build (absent for Vercel). */
  service?: {
    healthCheckPath: string | null;
    /** A persistent disk attached to the service. */
    disk: { name: string; mountPath: string; sizeGB: number } | null;
    repo: string | null;
    branch: string | null;
    plan: string | null;
    numInstances: number | null;
    url: string | null;
  };
  /** The Git repository the project deploys from (https URL) and its production branch, when linked. */
  repository?: { url: string; branch: string | null } | null;
}

export interface SourceEnvVar {
  key: string;
  /** Undefined when the provider cannot reveal it and no local value was configured. */
  value: string | undefined;
  /** The provider's kind for it: plain, encrypted, sensitive, secret, service, env-group. */
  type: string;
  /** The provider treats it as secret (write-only or legacy secret). */
  sensitive: boolean;
  /** Where the value came from when the provider could not give it: the local variable's name. */
  localSource?: string;
}

export interface SourceDomain {
  name: string;
  verified: boolean;
  redirect: string | null;
}

export interface HostingSource {
  settings(): Promise<HostingSettings>;
  /** The variables of the configured environment; values of sensitive ones resolved locally when configured. */
  envVars(): Promise<SourceEnvVar[]>;
  domains(): Promise<SourceDomain[]>;
}
