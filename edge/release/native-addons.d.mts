// Types for native-addons.mjs (plain JS so that it runs as postinstall before any build).
export interface BundledNode {
  bin: string;
  nodedir: string;
  version: string;
  pkg: string;
}
export function bundledNode(root: string): BundledNode | undefined;
export function unloadableAddons(root: string, nodeBin: string): string[];
export function ensureNativeAddons(root: string, nodeBin: string, nodedir: string): string[];
