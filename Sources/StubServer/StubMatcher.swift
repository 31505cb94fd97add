import ContractCore
import Foundation

/// Picks the interaction that answers a request: among those the index names for its method and
/// path whose request matches, the most specific (`Specificity`), the first in pact order of
/// equally specific ones — said in a warning; when none matches, every interaction's mismatches
/// explain why.
struct StubMatcher {
    enum Outcome {
        /// `tie` names the other interactions that matched as specifically, when there were any.
        case matched(StubEntry, tie: [String])
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
        var best: (entry: StubEntry, specificity: Specificity, tie: [String])?
        for position in candidates where selected(entries[position]) {
            let entry = entries[position]
            let result = ContractMatcher.match(expected: entry.request, actual: request)
            guard result.matched else {
                explained.append((entry, result.mismatches))
                continue
            }
            let specificity = entry.specificity
            if let current = best {
                if current.specificity < specificity {
                    best = (entry, specificity, [])
                } else if !(specificity < current.specificity) {
                    best?.tie.append(entry.description)
                }
            } else {
                best = (entry, specificity, [])
            }
        }
        if let best { return .matched(best.entry, tie: best.tie) }
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
