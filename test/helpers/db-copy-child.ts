import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.js';
import { EngineSession } from '../../src/engine/session.js';
import { dbCopyStep } from '../../src/plans/steps/db-copy.js';

// Runs db.copy's plan + apply in its own process, so a test can kill -9 it mid-copy.
const path = process.argv[2];
if (!path) throw new Error('usage: db-copy-child.ts <config path>');
const session = new EngineSession(parseConfig(readFileSync(path, 'utf8'), path));
const ctx = session.context(dbCopyStep, { log: (m) => console.log(m) });
for (const change of await dbCopyStep.plan(ctx)) await dbCopyStep.apply(ctx, change);
await session.close();
console.log('child done');
