// Types of scripts/build-main.js (plain JavaScript so that `npm install`'s prepare step runs it with Node
// alone), for the tests and benches that import it.
export declare const OUT_DIR: string;
/** Why dist-main must be built, or undefined when it is current. */
export declare function staleReason(): string | undefined;
/** Builds dist-main; rejects with esbuild's messages when a source does not parse. */
export declare function buildMain(): Promise<{ outputs: string[]; ms: number }>;
/** Builds when staleReason() says so; resolves whether it built. */
export declare function ensureMainBuilt(options?: { log?: (line: string) => void }): Promise<boolean>;
/** ensureMainBuilt(), printing what failed to parse and exiting 1 when the build fails. */
export declare function ensureMainBuiltOrExit(options?: { log?: (line: string) => void }): Promise<void>;
