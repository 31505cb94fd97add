import ContractCore
import Foundation

/// Picks the interaction that answers a request: the first candidate whose request matches;
/// when none does, every candidate's mismatches explain why.
struct StubMatcher {
    enum Outcome {
        case matched(StubEntry)
        case unmatched(candidates: [(entry: StubEntry, mismatches: [Mismatch])])
    }

    static func match(_ request: HTTPRequest, in entries: [StubEntry], state: StateSelector?) -> Outcome {
        let candidates = entries.filter { entry in
            guard let state else { return true }
            return entry.states.contains { state.selects($0.name) }
        }
        // Cheap test first: method and path decide most requests without a full match.
        var explained: [(entry: StubEntry, mismatches: [Mismatch])] = []
        for entry in candidates where quickAccept(entry.request, request) {
            let result = ContractMatcher.match(expected: entry.request, actual: request)
            if result.matched { return .matched(entry) }
            explained.append((entry, result.mismatches))
        }
        // No match: explain the remaining candidates too (each matched once only).
        for entry in candidates where !quickAccept(entry.request, request) {
            explained.append((entry, ContractMatcher.match(expected: entry.request, actual: request).mismatches))
        }
        return .unmatched(candidates: explained.sorted { $0.mismatches.count < $1.mismatches.count })
    }

    static func quickAccept(_ expected: HTTPRequest, _ actual: HTTPRequest) -> Bool {
        guard expected.method.uppercased() == actual.method.uppercased() else { return false }
        return expected.matchingRules.path != nil || expected.path == actual.path
    }
}

/// Which provider states a request may be answered from: a pattern the operator gave
/// (`--state`, compiled once at start), or the exact name a client sent (`--state-header`,
/// never compiled: a client's text is not a regular expression to run).
enum StateSelector: Sendable {
    case pattern(NSRegularExpression)
    case name(String)

    func selects(_ state: String) -> Bool {
        switch self {
        case .pattern(let regex): return regex.firstMatch(in: state, range: NSRange(state.startIndex..., in: state)) != nil
        case .name(let name): return state == name
        }
    }
}
