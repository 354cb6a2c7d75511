/**
 * Environments made of catalogue images (docs/catalogue.md), resolved while
 * the config is read, before the schema validates the environment:
 * - `program: tcpdump` (+ `version:`, else the catalogue's highest) sets
 *   `image: islet/tcpdump:<version>`, records the version, shows it in the
 *   menu's description, and adds the bounding capabilities the image's file
 *   capabilities need (without them the kernel refuses to execute the tool);
 * - a legacy ContainNSM image `opennsm/<tool>:<version>` becomes the
 *   catalogue's image of that version when the catalogue has it;
 * - `datasets: [name]` become read-only mounts at /datasets/<name>;
 * - `lab_network` joins the lab network (network: bridge) with capture rights.
 * Whether the image is built is the engine's business: `islet check` says
 * what is missing and the command that builds it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigIssue } from './config-issue.ts';
import { CAPTURE } from '../catalogue/capture.ts';
import { catalogueDir } from '../catalogue/paths.ts';
import { containnsmRef, imageName, listRecipes, type Recipe } from '../catalogue/recipe.ts';

export function datasetsDirOf(configured: string, env: NodeJS.ProcessEnv = process.env): string {
  return configured || join(env.ISLET_DATA || '/var/lib/islet', 'datasets');
}

export function resolveCatalogueEnvironment(input: Record<string, unknown>, file: string, datasetsDir: string, cat = catalogueDir()): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const critical = (message: string): void => {
    issues.push({ severity: 'critical', code: 'CATALOGUE_NOT_FOUND', file, message });
  };
  let recipe: Recipe | undefined;
  if (typeof input.program === 'string') {
    const program = input.program;
    const recipes = safeList(cat, program);
    if (recipes.length === 0) {
      critical(`program: ${program} is not in the catalogue (${cat})`);
      return issues;
    }
    // YAML reads `version: 4.10` as the number 4.1: accept a number only when it names a version as written.
    const version = typeof input.version === 'number' ? String(input.version) : typeof input.version === 'string' ? input.version : recipes.at(-1)!.version;
    recipe = recipes.find((r) => r.version === version);
    if (!recipe) {
      critical(
        `version: ${program} ${version} is not in the catalogue (versions: ${recipes.map((r) => r.version).join(', ')})${typeof input.version === 'number' ? "; quote versions in YAML ('4.10')" : ''}`,
      );
      return issues;
    }
    if (input.image === undefined) input.image = imageName(program, version);
    input.version = version;
  } else if (typeof input.image === 'string') {
    const ref = containnsmRef(input.image);
    if (ref) {
      const recipes = safeList(cat, ref.tool);
      const version = ref.version ?? recipes.at(-1)?.version;
      recipe = recipes.find((r) => r.version === version);
      if (recipe) {
        input.image = imageName(recipe.tool, recipe.version);
        input.program = recipe.tool;
        input.version = recipe.version;
      } else {
        issues.push({
          severity: 'warning',
          code: 'CATALOGUE_NOT_FOUND',
          file,
          message: `image: ${input.image} is a ContainNSM image the catalogue lacks${recipes.length ? ` (it has ${ref.tool} ${recipes.map((r) => r.version).join(', ')})` : ''}; no registry is reachable to pull it`,
        });
      }
    }
  }
  if (recipe) {
    const label = `${recipe.tool} ${recipe.version}`;
    const desc = typeof input.description === 'string' ? input.description : '';
    input.description = desc.includes(recipe.version) ? desc : desc ? `${desc} (${label})` : label;
    if (recipe.spec && Object.keys(recipe.spec.capabilities).length > 0) addCaps(input, CAPTURE);
  }
  const mounts = Array.isArray(input.mounts) ? [...(input.mounts as unknown[])] : [];
  const datasets = Array.isArray(input.datasets) ? [...(input.datasets as unknown[])] : [];
  // The replayed dataset is mounted too: the generator takes its path from the environment's mounts (lab-network.ts).
  const lab = input.lab_network as { replay?: unknown } | undefined;
  const replayed = typeof lab?.replay === 'string' ? lab.replay.split('/')[0] : undefined;
  if (replayed && !datasets.includes(replayed)) datasets.push(replayed);
  for (const d of datasets) {
    if (typeof d !== 'string') continue;
    const source = join(datasetsDir, d);
    if (!existsSync(source))
      issues.push({
        severity: 'warning',
        code: 'CATALOGUE_NOT_FOUND',
        file,
        message: `datasets: no dataset ${d} in ${datasetsDir} (islet dataset add ${d} <path>)`,
      });
    mounts.push({ source, target: `/datasets/${d}` });
  }
  if (datasets.length > 0) input.mounts = mounts;
  if (input.lab_network !== undefined) {
    // The lab network is internal (lab-network.ts): joining it reaches nothing but the lab.
    input.network = 'bridge';
    addCaps(input, CAPTURE);
    // Warm pools would start containers on ISLET's outbound bridge, not the lab.
    if (typeof input.warm_pool === 'number' && input.warm_pool > 0) {
      issues.push({ severity: 'warning', code: 'CONFIG_INVALID', file, message: 'warm_pool: lab_network environments have no warm pool; ignored' });
      input.warm_pool = 0;
    }
    // File capabilities are granted only without no_new_privileges; catalogue images carry no setuid files.
    if (recipe) input.no_new_privileges = false;
  }
  return issues;
}

function addCaps(input: Record<string, unknown>, caps: readonly string[]): void {
  const have = Array.isArray(input.cap_add) ? (input.cap_add as unknown[]).filter((c): c is string => typeof c === 'string') : [];
  const norm = (c: string): string => c.toUpperCase().replace(/^CAP_/, '');
  input.cap_add = [...have, ...caps.filter((c) => !have.some((h) => norm(h) === c))];
}

function safeList(cat: string, tool: string): Recipe[] {
  try {
    return listRecipes(cat, tool);
  } catch {
    return [];
  }
}
