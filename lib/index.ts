/** The TypeScript reference model: the oracle every other part of the system is checked against. */
export * from "./field";
export * from "./poseidon";
export * from "./params";
export * from "./exit-tree";
export * from "./smt";
export * from "./exit-leaf";
export * from "./token";
export * from "./network-state";
export * from "./accounting";
export * from "./certificate";
export * from "./certificate-builder";
export * from "./codec";
export * from "./network-records";
export * from "./settlement";
export * from "./batch-settlement";
