// User-facing text of the Railway hosting source. Re-exported through src/core/messages.ts as messages.railway.

export const railwayMessages = {
  noAccess: (field: string, projectId: string, detail: string) =>
    `Railway refused the token in ${field} for project "${projectId}" (${detail}): it is invalid, expired, or has no access to that project.`,
  noAccessHint: (field: string, kindField: string) =>
    `Create a token that can read the project (an account or workspace token that is a member of it, or a project token of that project with ${kindField}: "project"), put it in ${field} as \${ENV_VAR} and rerun. Nothing was written.`,
  projectNotFound: (projectId: string) => `Railway has no project "${projectId}" visible to this token.`,
  projectNotFoundHint:
    'Check source.railway.projectId (Project Settings > General in the Railway dashboard, or the id in the project URL). Nothing was written.',
  environmentNotFound: (environment: string, projectId: string, known: string[]) =>
    `Railway project "${projectId}" has no environment "${environment}" (it has: ${known.join(', ') || 'none'}).`,
  environmentNotFoundHint:
    'Set source.railway.environment to one of those names or ids. Nothing was written.',
  serviceNotFound: (service: string, projectId: string, known: string[]) =>
    `Railway project "${projectId}" has no service "${service}" (it has: ${known.join(', ') || 'none'}).`,
  serviceNotFoundHint: 'Set source.railway.service to one of those names or ids. Nothing was written.',
  crossServiceReference: (refs: { key: string; service: string; variable: string }[], service: string) =>
    `Variable(s) of Railway service "${service}" reference another service, whose value stays on Railway: ${refs
      .map((r) => `${r.key} = \${{${r.service}.${r.variable}}}`)
      .join(', ')}.`,
  crossServiceReferenceHint: (key: string) =>
    `Either set source.railway.serviceReferences: "resolve" to carry the value Railway renders for it today (it then still points at the Railway service), or give it its AWS value with target.amplify.envMapping.${key}.set.${key} (or leave it out with target.amplify.envMapping.${key}.drop: true). Nothing was written.`,
  graphqlError: (url: string, message: string) =>
    `Railway's API at ${url} answered with an error: ${message}.`,
  graphqlErrorHint: 'Retry later; if it persists, check https://status.railway.com.',
  httpError: (url: string, status: number) => `Railway's API at ${url} answered HTTP ${status}.`,
  unreachable: (url: string, attempts: number, reason: string) =>
    `Cannot reach Railway's API at ${url} after ${attempts} attempts (${reason}).`,
  unreachableHint:
    'Check source.railway.apiUrl, your network or proxy, and https://status.railway.com; then rerun.',
} as const;
