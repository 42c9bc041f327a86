import { fileURLToPath } from "node:url";

/** Folder of the built dashboard (index.html and assets/), which the hub serves at `/`. */
export const dashboardDir = fileURLToPath(new URL("./dist/", import.meta.url));
