/** Witness builders: circuit input signals computed from the reference model. */
export * from "./certificate";
