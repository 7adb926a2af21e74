// Types for bundle-browser.mjs (plain JavaScript, run by node directly), so that the TypeScript benches and tests
// that import it see esbuild's result type instead of an unresolved one.
import type { BuildResult } from 'esbuild';

/** With `write: false` esbuild returns the bundle in `outputFiles` instead of writing `outfile`. */
export declare function bundleBrowser(opts: { outfile?: string; write: false }): Promise<BuildResult<{ write: false; metafile: true }>>;
export declare function bundleBrowser(opts?: { outfile?: string; write?: true }): Promise<BuildResult<{ write: true; metafile: true }>>;
