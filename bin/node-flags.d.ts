/** The flags on the `#!… node` line of `entry` (default bin/castbridge.js); [] when it names none. */
export function nodeFlagsOf(entry?: string | URL): string[];
