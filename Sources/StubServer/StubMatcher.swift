import ContractCore
import Foundation

/// Picks the interaction that answers a request: the first candidate whose request matches;
/// when none does, every candidate's mismatches explain why.
struct StubMatcher {
    enum Outcome {
        case matched(StubEntry)
        case unmatched(candidates: [(entry: StubEntry, mismatches: [Mismatch])])
    }

    static func match(_ request: HTTPRequest, in entries: [StubEntry], state: NSRegularExpression?) -> Outcome {
        let candidates = entries.filter { entry in
            guard let state else { return true }
            return entry.states.contains { state.firstMatch(in: $0.name, range: NSRange($0.name.startIndex..., in: $0.name)) != nil }
        }
        // Cheap test first: method and path decide most requests without a full match.
        for entry in candidates where quickAccept(entry.request, request) {
            if ContractMatcher.match(expected: entry.request, actual: request).matched { return .matched(entry) }
        }
        let explained = candidates.map { ($0, ContractMatcher.match(expected: $0.request, actual: request).mismatches) }
            .sorted { $0.1.count < $1.1.count }
        return .unmatched(candidates: explained)
    }

    static func quickAccept(_ expected: HTTPRequest, _ actual: HTTPRequest) -> Bool {
        guard expected.method.uppercased() == actual.method.uppercased() else { return false }
        return expected.matchingRules.path != nil || expected.path == actual.path
    }
}
