import { readFileSync } from 'node:fs';
import { dbCopyStep } from '../../src/components/db/db-copy.js';
import { parseConfig } from '../../src/core/load-config.js';
import { EngineSession } from '../../src/engine/session.js';

// Runs db.copy's plan + apply in its own process, so a test can kill -9 it mid-copy.
const path = process.argv[2];
if (!path) throw new Error('usage: db-copy-child.ts <config path>');
const session = new EngineSession(parseConfig(readFileSync(path, 'utf8'), path));
const ctx = session.context(dbCopyStep, { log: (m) => console.log(m) });
for (const change of await dbCopyStep.plan(ctx)) await dbCopyStep.apply(ctx, change);
await session.close();
console.log('child done');
