// Wiring only: configuration → settings → one PostgresImage per selected cell → stack outputs.
import { readProgramInputs } from "./resources/config";
import { postgresImages } from "./resources/program";

const { settings, sources, secrets } = readProgramInputs(__dirname);
const program = postgresImages(settings, sources, secrets);

/** Cell name → {digest, ref (REPO@sha256:…), tags, platforms}. */
export const images = program.images;
/** The cells this stack builds, in bake order. */
export const targets = program.targets;
/** CloudNativePG ClusterImageCatalogs for the stable majors, by digest. */
export const catalogs = program.catalogs;
