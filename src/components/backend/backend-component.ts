import type { ComponentModule } from '../../core/component.js';
import { backendApiStep } from './backend-api.js';
import { backendFunctionStep } from './backend-function.js';
import { backendRoleStep } from './backend-role.js';
import { backendSwitch } from './backend-switch.js';

export const backendComponent: ComponentModule = {
  name: 'backend',
  steps: [backendRoleStep, backendFunctionStep, backendApiStep],
  notCarriedBack: [
    'nothing is carried: the backend keeps no data of its own (its database moves with db)',
    'the frontend picks up the API URL on its next Amplify build',
  ],
  switch: backendSwitch,
};
