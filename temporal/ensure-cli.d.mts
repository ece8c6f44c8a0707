export declare const TEMPORAL_CLI_MODULE: string;
export declare function findTemporalCli(env?: NodeJS.ProcessEnv): string | undefined;
export declare function ensureTemporalCli(opts?: {
  log?: (m: string) => void;
  env?: NodeJS.ProcessEnv;
}): string | undefined;
export declare function findExecutables(name: string, env?: NodeJS.ProcessEnv): string[];
export declare function hasGo(): boolean;
export declare function goInstall(
  modules: string[],
  opts?: { log?: (m: string) => void; what?: string; gobin?: string },
): void;
/** Go's bin directories (GOBIN, each GOPATH's bin, ~/go/bin), in that order. */
export declare function goBinDirs(): string[];
