import { join, resolve } from "node:path";

/** The project folder: this file is resources/project-dir.ts, or dist/resources/project-dir.js when compiled. */
export const PROJECT_DIR = resolve(__dirname, __dirname.endsWith(join("dist", "resources")) ? "../.." : "..");
