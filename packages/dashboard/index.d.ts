/** Folder of the built dashboard (index.html and assets/), which the hub serves at `/`. */
export declare const dashboardDir: string;
