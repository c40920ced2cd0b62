import type { UserPoolType } from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { keptSettings } from '../../../../src/providers/cognito/user-pool.js';

// What an update of a pool sends back. cognito-local accepts anything here, so the two points real
// Cognito is strict about are pinned down on a DescribeUserPool answer shaped like the real one.

const described: UserPoolType = {
  Id: 'us-east-1_abc',
  Name: 'chatbot-users',
  Policies: {
    PasswordPolicy: { MinimumLength: 8, TemporaryPasswordValidityDays: 7, PasswordHistorySize: 3 },
    SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD'] },
  },
  DeletionProtection: 'ACTIVE',
  LambdaConfig: { UserMigration: 'arn:aws:lambda:us-east-1:1:function:migrate' },
  MfaConfiguration: 'OPTIONAL',
  AdminCreateUserConfig: { AllowAdminCreateUserOnly: true, UnusedAccountValidityDays: 7 },
  EmailVerificationMessage: 'Your code is {####}',
  VerificationMessageTemplate: {
    DefaultEmailOption: 'CONFIRM_WITH_CODE',
    EmailMessage: 'Your code is {####}',
  },
  UserPoolTier: 'ESSENTIALS',
  SchemaAttributes: [{ Name: 'email' }],
  Status: 'Enabled',
};

describe('keptSettings', () => {
  it('sends back every updatable setting as described', () => {
    expect(keptSettings(described)).toMatchObject({
      PoolName: 'chatbot-users',
      Policies: described.Policies,
      DeletionProtection: 'ACTIVE',
      LambdaConfig: described.LambdaConfig,
      MfaConfiguration: 'OPTIONAL',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      VerificationMessageTemplate: described.VerificationMessageTemplate,
      UserPoolTier: 'ESSENTIALS',
    });
  });

  it('leaves out what UpdateUserPool refuses or does not take', () => {
    const kept = keptSettings(described) as Record<string, unknown>;
    // Cognito refuses UnusedAccountValidityDays in an update, though DescribeUserPool returns it.
    expect(kept.AdminCreateUserConfig).not.toHaveProperty('UnusedAccountValidityDays');
    for (const readOnly of ['Id', 'SchemaAttributes', 'Status', 'EmailVerificationMessage'])
      expect(kept).not.toHaveProperty(readOnly);
  });

  it('carries a pool that only has the old UnusedAccountValidityDays over to TemporaryPasswordValidityDays', () => {
    const old = keptSettings({
      Policies: { PasswordPolicy: { MinimumLength: 8 } },
      AdminCreateUserConfig: { UnusedAccountValidityDays: 30 },
    });
    expect(old.Policies?.PasswordPolicy?.TemporaryPasswordValidityDays).toBe(30);
    expect(old.AdminCreateUserConfig).toEqual({});
  });
});
