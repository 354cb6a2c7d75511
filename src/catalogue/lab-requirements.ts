/**
 * What a lab_network environment needs on the engine besides its own image:
 * a built tcpreplay (the traffic generator, lab-network.ts). For `islet check`.
 */
import { catalogueDir } from './paths.ts';
import { imageName, listRecipes } from './recipe.ts';

/** The catalogue's tcpreplay images, highest first; the lab uses the highest that is built. */
export function generatorImages(cat = catalogueDir()): string[] {
  try {
    return listRecipes(cat, 'tcpreplay')
      .map((r) => imageName(r.tool, r.version))
      .reverse();
  } catch {
    return [];
  }
}
