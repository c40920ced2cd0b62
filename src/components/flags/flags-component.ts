import type { ComponentModule } from '../../core/component.js';
import { flagsStore } from './flags-store.js';

// The flag store itself: a phase 1 line with no flag of its own.
export const flagsComponent: ComponentModule = { name: 'flags', steps: [flagsStore] };
