/**
 * V8 heap settings for a long-running, mostly idle program; imported first by src/main.ts, before
 * anything else allocates. pkg --sea cannot bake V8 flags into the exe (it does not pass execArgv to
 * Node's SEA config), so they are set here, at run time, where V8 still honours them.
 *
 * --semi-space-growth-factor=1: the young generation keeps its initial size instead of growing to
 * 16 MB during start-up (module loading allocates a lot at once) and staying there for the rest of
 * the day. Measured under Wine (bench/wine/memoryMap.ts, README): idle RSS about 10 MB lower. The cost is
 * more, smaller scavenges, which a program handling a call every few minutes does not feel.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--semi-space-growth-factor=1');
