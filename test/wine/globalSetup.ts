/** One Xvfb + wineserver per Wine test run; DISPLAY reaches the test files via inject('display'). */
import type { TestProject } from 'vitest/node';
import { requireTools, startDisplay, type Display } from './env';

let display: Display | undefined;

export async function setup(project: TestProject): Promise<void> {
  requireTools();
  display = await startDisplay();
  process.env.DISPLAY = display.display;
  project.provide('display', display.display);
}

export async function teardown(): Promise<void> {
  await display?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    display: string;
  }
}
