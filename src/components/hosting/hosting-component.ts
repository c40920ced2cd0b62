import type { ComponentModule } from '../../core/component.js';
import { messages } from '../../core/messages.js';
import { hostingFlip } from './dns-flip.js';
import { dnsRecordsStep } from './dns-records.js';
import { hostingAppStep } from './hosting-app.js';
import { hostingDeployStep } from './hosting-deploy.js';
import { hostingDomainStep } from './hosting-domain.js';
import { hostingEnvStep } from './hosting-env.js';

export const hostingComponent: ComponentModule = {
  name: 'hosting',
  steps: [hostingAppStep, hostingEnvStep, hostingDomainStep, hostingDeployStep, dnsRecordsStep],
  flip: hostingFlip,
  notCarriedBack: messages.cutover.hostingNotCarried,
};
