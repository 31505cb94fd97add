import ContractCore
import Foundation

/// Picks the interaction that answers a request: the first interaction, in pact order, among
/// those the index names for its method and path, whose request matches; when none does,
/// every interaction's mismatches explain why.
struct StubMatcher {
    enum Outcome {
        case matched(StubEntry)
        case unmatched(candidates: [(entry: StubEntry, mismatches: [Mismatch])])
    }

    static func match(_ request: HTTPRequest, in index: StubIndex, state: StateSelector?) -> Outcome {
        func selected(_ entry: StubEntry) -> Bool {
            guard let state else { return true }
            return entry.states.contains { state.selects($0.name) }
        }
        let entries = index.entries
        let candidates = index.candidates(method: request.method.uppercased(), path: request.path)
        var explained: [(entry: StubEntry, mismatches: [Mismatch])] = []
        for position in candidates where selected(entries[position]) {
            let result = ContractMatcher.match(expected: entries[position].request, actual: request)
            if result.matched { return .matched(entries[position]) }
            explained.append((entries[position], result.mismatches))
        }
        // No match: explain the other interactions too (each matched once only).
        let tried = Set(candidates)
        for (position, entry) in entries.enumerated() where !tried.contains(position) && selected(entry) {
            explained.append((entry, ContractMatcher.match(expected: entry.request, actual: request).mismatches))
        }
        return .unmatched(candidates: explained.sorted { $0.mismatches.count < $1.mismatches.count })
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
