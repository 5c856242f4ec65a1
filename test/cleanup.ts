import { afterAll } from "vitest";
import { removeTmpTrees } from "./helpers.js";

// A setup file of every project: what a test file made with tmpTree goes when the file is done.
afterAll(removeTmpTrees);
