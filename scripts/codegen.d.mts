// Types of codegen.mjs, for the unit tests' setup that imports it (tsconfig.test.json).
export declare function codegen(): Promise<void>;
