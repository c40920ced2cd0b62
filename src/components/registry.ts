import type { ComponentModule } from '../core/component.js';
import type { Phase, Step } from '../core/step.js';
import { authComponent } from './auth/auth-component.js';
import { backendComponent } from './backend/backend-component.js';
import { backupComponent } from './backup/backup-component.js';
import { costComponent } from './cost/cost-component.js';
import { dbComponent } from './db/db-component.js';
import { filesComponent } from './files/files-component.js';
import { flagsComponent } from './flags/flags-component.js';
import { hostingComponent } from './hosting/hosting-component.js';
import { monitoringComponent } from './monitoring/monitoring-component.js';
import { vectorsComponent } from './vectors/vectors-component.js';

// The one list of components. Adding a component is a folder under components/ plus one line here;
// the engine and the commands take everything they run from this list.
export const components: readonly ComponentModule[] = [
  // First: backup.source leads phase 2, before any data moves.
  backupComponent,
  dbComponent,
  authComponent,
  vectorsComponent,
  filesComponent,
  flagsComponent,
  hostingComponent,
  costComponent,
  backendComponent,
  // After backend: monitoring.backend watches what backend.api created.
  monitoringComponent,
];

// The checklist: every step of every phase, phase by phase, and within a phase in registry order.
export const checklist: Step[] = ([1, 2, 3, 4] as Phase[]).flatMap((phase) =>
  components.flatMap((c) => c.steps.filter((s) => s.phase === phase)),
);
