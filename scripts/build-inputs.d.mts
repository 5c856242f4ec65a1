// Types of build-inputs.mjs, for the tests that import it (tsconfig.test.json).
export declare function buildInputsHash(): string;
export declare function templatesModule(): string;
