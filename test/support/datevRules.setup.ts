/**
 * After every test: whatever a world's fake DATEV received keeps DATEV's rules (contracts/datevRules.ts) —
 * each e2e test is also a check of the notification sequence as an independent DATEV would make it.
 */
import { afterEach, expect } from 'vitest';
import { datevRuleViolations } from '../../contracts/datevRules';
import { takeDatevsMade } from './world';

afterEach(() => {
  for (const datev of takeDatevsMade()) {
    expect(datevRuleViolations(datev.received), 'what DATEV received breaks its rules').toEqual([]);
  }
});
