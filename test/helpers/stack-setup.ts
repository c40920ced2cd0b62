import type { TestProject } from 'vitest/node';
import { startLocalStack } from '../../src/sandbox/stack.js';

// One local stack (PostgreSQL 15, dynalite, s3rver, cognito-local) for the e2e suite; tests keep out of
// each other's way with unique project names.
declare module 'vitest' {
  export interface ProvidedContext {
    stack: {
      postgresUrl: string;
      postgresPort: number;
      endpoints: { dynamodb: string; s3: string; cognito: string; cloudwatch: string; sns: string };
    };
  }
}

export default async function setup(project: TestProject) {
  const stack = await startLocalStack();
  project.provide('stack', {
    postgresUrl: stack.postgres.url(),
    postgresPort: stack.postgres.port,
    endpoints: stack.endpoints,
  });
  return async () => {
    await stack.stop();
  };
}
