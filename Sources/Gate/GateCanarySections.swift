import CanaryJudge
import Foundation
import SLO
import Steps
import Yams

/// The gate file's `split:` and `judge:` sections.
extension NodeReader {
    /// `split: {header, baseline, canary}` — the response header that names the path that served
    /// each request, and its value on each side; or `split: {baseline_url, canary_url}` — two base
    /// URLs, the stage's load divided between them by the stage's percentage, sticky per user.
    mutating func split(_ node: Node) -> (header: PathSplit?, urls: (baseline: TargetURL, canary: TargetURL)?) {
        guard let entries = mapping(node, "split", allowed: ["header", "baseline", "canary", "baseline_url", "canary_url"]) else { return (nil, nil) }
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        if fields["baseline_url"] != nil || fields["canary_url"] != nil {
            if fields["header"] != nil { problem(fields["header"], "split.header", "a split is a header or two URLs (baseline_url, canary_url), not both") }
            var urls: [TargetURL] = []
            for key in ["baseline_url", "canary_url"] {
                guard let text = string(fields[key], "split.\(key)"), let url = TargetURL(text) else {
                    problem(fields[key] ?? node, "split.\(key)", "the \(key == "baseline_url" ? "old" : "new") path's base URL (http://)")
                    continue
                }
                urls.append(url)
            }
            return (nil, urls.count == 2 ? (urls[0], urls[1]) : nil)
        }
        var values: [String] = []
        for key in ["header", "baseline", "canary"] {
            guard let text = string(fields[key], "split.\(key)"), !text.isEmpty else {
                problem(fields[key] ?? node, "split.\(key)", key == "header" ? "the response header that names the path (e.g. X-Routed-To), or baseline_url and canary_url"
                                                                              : "the header's value on the \(key) path")
                continue
            }
            values.append(text)
        }
        guard values.count == 3 else { return (nil, nil) }
        if !values[0].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) {
            problem(fields["header"], "split.header", "'\(values[0])' is not a header name")
            return (nil, nil)
        }
        if values[1].caseInsensitiveCompare(values[2]) == .orderedSame {
            problem(fields["canary"], "split.canary", "the canary's value must differ from the baseline's ('\(values[1])')")
            return (nil, nil)
        }
        return (PathSplit(header: values[0], baseline: values[1], canary: values[2]), nil)
    }

    /// The split a judge reads: the gate file's, else the bundled gateway's `X-Routed-To`; a
    /// judge on another rollout kind with no split is a problem (nothing tells the paths apart).
    mutating func canarySplit(_ values: [String: Node], rollout: GateFile.Rollout, root: Node)
        -> (split: PathSplit?, urls: (baseline: TargetURL, canary: TargetURL)?, judge: JudgeSettings?) {
        let (split, urls) = values["split"].map { self.split($0) } ?? (nil, nil)
        guard let node = values["judge"] else { return (split, urls, nil) }
        let judge = judgeSettings(node)
        if values["split"] == nil, !rollout.isGateway {
            problem(node, "judge", "name the split: (the response header that says which path served a request, and its baseline and canary values, "
                    + "or baseline_url and canary_url); only the bundled gateway's X-Routed-To is known without one")
        }
        return (split ?? (urls == nil && rollout.isGateway ? .gateway : nil), urls, judge)
    }

    /// `parity: {baseline, candidate, requests, threshold, repeat, ignore, unordered, compare_headers, action}`.
    mutating func parity(_ node: Node, resolve: (String) -> String) -> GateFile.Parity? {
        let allowed: Set<String> = ["baseline", "candidate", "requests", "threshold", "repeat", "ignore", "unordered", "compare_headers", "action"]
        guard let entries = mapping(node, "parity", allowed: allowed) else { return nil }
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        var sides: [String] = []
        for key in ["baseline", "candidate"] {
            guard let url = string(fields[key], "parity.\(key)"), (url.hasPrefix("http://") || url.hasPrefix("https://")), URL(string: url)?.host != nil else {
                problem(fields[key] ?? node, "parity.\(key)", "the \(key == "baseline" ? "old" : "new") path's base URL (http:// or https://)")
                continue
            }
            sides.append(url)
        }
        let requests = (sequence(fields["requests"], "parity.requests") ?? []).enumerated().compactMap { index, item in
            string(item, "parity.requests[\(index)]").map(resolve)
        }
        if requests.isEmpty { problem(fields["requests"] ?? node, "parity.requests", "list HAR files, load profiles or flows whose GET and HEAD requests are replayed") }
        var threshold = 1.0
        if let given = fields["threshold"] {
            if case .scalar = given, let text = given.string, text.hasSuffix("%"), let value = Double(text.dropLast()), value.isFinite, (0...100).contains(value) {
                threshold = value
            } else {
                problem(given, "parity.threshold", "a percentage from 0% to 100%, e.g. 1%")
            }
        }
        let repeats = integer(fields["repeat"], "parity.repeat", in: 1...1000) ?? 5
        func paths(_ key: String) -> [String] {
            (sequence(fields[key], "parity.\(key)") ?? []).enumerated().compactMap { index, item in
                guard let path = string(item, "parity.\(key)[\(index)]") else { return nil }
                if !path.hasPrefix("$") { problem(item, "parity.\(key)[\(index)]", "'\(path)' is not a JSON path (it starts with $)") }
                return path
            }
        }
        var action = TriggerKind.parity.defaultAction
        if let given = fields["action"] {
            let text = string(given, "parity.action") ?? ""
            if let parsed = RolloutAction(rawValue: text) { action = parsed } else { problem(given, "parity.action", "must be proceed, reduce, pause or rollback, found '\(text)'") }
        }
        let headers = (sequence(fields["compare_headers"], "parity.compare_headers") ?? []).enumerated().compactMap { string($1, "parity.compare_headers[\($0)]") }
        guard sides.count == 2, !requests.isEmpty else { return nil }
        return GateFile.Parity(baseline: sides[0], candidate: sides[1], requests: requests, threshold: threshold, repeats: repeats,
                               ignored: paths("ignore"), unordered: paths("unordered"), headers: headers, action: action)
    }
}
