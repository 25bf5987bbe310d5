pragma circom 2.1.6;

// ImportSources(maxImports, maxDependencies): every import whose source is not L1 names one of the
// certificate's dependencies exactly (docs/protocol.md §5 MISSING_DEPENDENCY): (sourceNetwork, sourceHeight,
// sourceCertificateId) == (dep_networkId[j], dep_height[j], dep_certificateId[j]) for some j, and its
// source exit root is the one the certificate states for that dependency, dep_exitRoot[j]; a dependency
// that no import names states exit root 0 (docs/protocol.md §9: the settlement checks every non-zero
// dep_exitRoot against the dependency's finalized or settled exit root).
//
// Enforces: for each import i, a witness selector row sel[i][*] of bits that sums to needsDependency[i]
//   (= 1 - isL1[i]) and selects only a dependency equal to the import's source on all four fields
//   (with the exit root); dep_exitRoot[j] == 0 when no import selects j.
//   A padded dependency (all zeros) can never be selected by an import that needs one, whose
//   sourceNetwork != 0. A padded import has sourceNetwork 0, so isL1 = 1 and it selects nothing.
// Leaves to the caller: isL1[i] = (sourceNetwork[i] == 0) (ImportStep's output); padded dependencies
//   all-zero (SortedDependencies); the L1-source rules (certificateId 0: ImportStep; the checkpoint itself:
//   the aggregation circuit).
include "circomlib/circuits/comparators.circom";

template ImportSources(maxImports, maxDependencies) {
    signal input isL1[maxImports];
    signal input sourceNetwork[maxImports];
    signal input sourceHeight[maxImports];
    signal input sourceCertificateId[maxImports];
    signal input sourceExitRoot[maxImports];
    signal input dep_networkId[maxDependencies];
    signal input dep_height[maxDependencies];
    signal input dep_certificateId[maxDependencies];
    signal input dep_exitRoot[maxDependencies];

    signal sel[maxImports][maxDependencies];
    var uses[maxDependencies];
    for (var j = 0; j < maxDependencies; j++) {
        uses[j] = 0;
    }
    for (var i = 0; i < maxImports; i++) {
        var picked = 0;
        var selected = 0;
        for (var j = 0; j < maxDependencies; j++) {
            // Hint: the first dependency equal to the source (dependencies are distinct, so the only one).
            var match = isL1[i] == 0 && picked == 0 && dep_networkId[j] == sourceNetwork[i] &&
                dep_height[j] == sourceHeight[i] && dep_certificateId[j] == sourceCertificateId[i];
            sel[i][j] <-- match ? 1 : 0;
            picked = picked + (match ? 1 : 0);
            // Pinned: a bit, equal on all three fields, exactly (1 - isL1[i]) of them per import.
            sel[i][j] * (sel[i][j] - 1) === 0;
            sel[i][j] * (dep_networkId[j] - sourceNetwork[i]) === 0;
            sel[i][j] * (dep_height[j] - sourceHeight[i]) === 0;
            sel[i][j] * (dep_certificateId[j] - sourceCertificateId[i]) === 0;
            sel[i][j] * (dep_exitRoot[j] - sourceExitRoot[i]) === 0;
            selected += sel[i][j];
            uses[j] += sel[i][j];
        }
        selected === 1 - isL1[i];
    }
    // A dependency no import selects states exit root 0 (uses[j] counts the imports that select it).
    component unused[maxDependencies];
    for (var j = 0; j < maxDependencies; j++) {
        unused[j] = IsZero();
        unused[j].in <== uses[j];
        unused[j].out * dep_exitRoot[j] === 0;
    }
}
