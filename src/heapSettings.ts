/**
 * V8 heap settings for a long-running, mostly idle program; imported first by src/main.ts, before
 * anything else allocates: set at run time, where V8 still honours them (options that must be there
 * before V8 starts, such as --v8-pool-size, are baked into the exe: scripts/package.sh).
 *
 * --semi-space-growth-factor=1: the young generation keeps its initial size instead of growing to
 * 16 MB during start-up (module loading allocates a lot at once) and staying there for the rest of
 * the day. Measured under Wine (bench/wine/memoryMap.ts, README): idle RSS about 10 MB lower. The cost is
 * more, smaller scavenges, which a program handling a call every few minutes does not feel.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--semi-space-growth-factor=1');
