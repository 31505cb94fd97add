import CanaryJudge
import Foundation
import Steps
import Yams

/// The gate file's `split:` and `judge:` sections.
extension NodeReader {
    /// `split: {header, baseline, canary}` — the response header that names the path that served
    /// each request, and its value on each side.
    mutating func split(_ node: Node) -> PathSplit? {
        guard let entries = mapping(node, "split", allowed: ["header", "baseline", "canary"]) else { return nil }
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        var values: [String] = []
        for key in ["header", "baseline", "canary"] {
            guard let text = string(fields[key], "split.\(key)"), !text.isEmpty else {
                problem(fields[key] ?? node, "split.\(key)", key == "header" ? "the response header that names the path (e.g. X-Routed-To)"
                                                                              : "the header's value on the \(key) path")
                continue
            }
            values.append(text)
        }
        guard values.count == 3 else { return nil }
        if !values[0].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) {
            problem(fields["header"], "split.header", "'\(values[0])' is not a header name")
            return nil
        }
        if values[1].caseInsensitiveCompare(values[2]) == .orderedSame {
            problem(fields["canary"], "split.canary", "the canary's value must differ from the baseline's ('\(values[1])')")
            return nil
        }
        return PathSplit(header: values[0], baseline: values[1], canary: values[2])
    }

    /// The split a judge reads: the gate file's, else the bundled gateway's `X-Routed-To`; a
    /// judge on another rollout kind with no split is a problem (nothing tells the paths apart).
    mutating func canarySplit(_ values: [String: Node], rollout: GateFile.Rollout, root: Node) -> (split: PathSplit?, judge: JudgeSettings?) {
        let split = values["split"].flatMap { self.split($0) }
        guard let node = values["judge"] else { return (split, nil) }
        let judge = judgeSettings(node)
        if values["split"] == nil, !rollout.isGateway {
            problem(node, "judge", "name the split: (the response header that says which path served a request, and its baseline and canary values); "
                    + "only the bundled gateway's X-Routed-To is known without one")
        }
        return (split ?? (rollout.isGateway ? .gateway : nil), judge)
    }
}
