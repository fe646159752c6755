/**
 * What the program uses of zod/mini (src/config), re-exported by name: scripts/bundle.js puts this in
 * place of 'zod/mini', so that esbuild keeps only these and what they need. The program's compiled
 * code require()s zod/mini, and a require()d module is bundled whole: for zod/mini that is all of zod's
 * core plus 40 locales and the JSON-schema tools (about 480 KB), for these names about 30 KB.
 * scripts/bundle.js fails the build if the program uses a name that is missing here.
 */
export { _default, boolean, config, enum, int, maximum, minimum, object, refine, regex, string, url, ZodMiniDefault, ZodMiniObject } from 'zod/v4/mini';
