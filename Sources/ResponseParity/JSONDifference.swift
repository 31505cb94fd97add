package import ContractCore
import Foundation

/// One place where two JSON documents differ: its path (`$.items[*].price`: array positions
/// written `[*]`, so one field of every element is one path) and the value on each side (nil
/// where the field is absent).
package struct JSONDifference: Sendable, Equatable {
    package var path: String
    package var baseline: JSONValue?
    package var candidate: JSONValue?

    package init(path: String, baseline: JSONValue?, candidate: JSONValue?) {
        self.path = path
        self.baseline = baseline
        self.candidate = candidate
    }
}

/// Compares two JSON documents field by field: numbers by value (10 and 10.0 are equal),
/// objects by key (a renamed field differs at its old path and at its new one), arrays by
/// position — or as multisets where `unordered` names them.
package struct JSONComparison: Sendable {
    /// Paths never compared (`$.meta.request_id`, `$.items[*].updated_at`).
    package var ignored: Set<String> = []
    /// Arrays whose order does not matter.
    package var unordered: Set<String> = []
    /// The most differences reported for one pair (the rest are not listed).
    package var limit = 200

    package init(ignored: Set<String> = [], unordered: Set<String> = []) {
        self.ignored = ignored
        self.unordered = unordered
    }

    package func differences(_ baseline: JSONValue, _ candidate: JSONValue) -> [JSONDifference] {
        var found: [JSONDifference] = []
        compare(baseline, candidate, at: "$", into: &found)
        return found
    }

    private func compare(_ a: JSONValue?, _ b: JSONValue?, at path: String, into found: inout [JSONDifference]) {
        guard found.count < limit, !ignored.contains(path) else { return }
        switch (a, b) {
        case (.object(let left)?, .object(let right)?):
            for key in left.keys { compare(left[key], right[key], at: Self.child(path, key), into: &found) }
            for key in right.keys where left[key] == nil { compare(nil, right[key], at: Self.child(path, key), into: &found) }
        case (.array(let left)?, .array(let right)?):
            let elements = path + "[*]"
            if unordered.contains(path) {
                let leftSorted = left.map(Self.canonical).sorted(), rightSorted = right.map(Self.canonical).sorted()
                if leftSorted != rightSorted { found.append(JSONDifference(path: path, baseline: a, candidate: b)) }
                return
            }
            for index in 0..<max(left.count, right.count) {
                compare(index < left.count ? left[index] : nil, index < right.count ? right[index] : nil, at: elements, into: &found)
            }
        default:
            if !Self.equal(a, b) { found.append(JSONDifference(path: path, baseline: a, candidate: b)) }
        }
    }

    /// Equal scalars: numbers by value, whatever their notation.
    static func equal(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (.integer(let x)?, .decimal(let y)?), (.decimal(let y)?, .integer(let x)?): return Double(x) == y
        default: return a == b
        }
    }

    /// `$.a.b`, or `$["a b"]` for a key that is not a plain name.
    static func child(_ path: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
        return plain ? "\(path).\(key)" : "\(path)[\"\(key.replacingOccurrences(of: "\"", with: "\\\""))\"]"
    }

    /// A text that is equal for equal values (numbers by value), for comparing arrays as multisets.
    static func canonical(_ value: JSONValue) -> String {
        switch value {
        case .integer(let x): return "n:\(Double(x))"
        case .decimal(let x): return "n:\(x)"
        case .object(let object): return "{" + object.keys.sorted().map { "\($0):" + canonical(object[$0]!) }.joined(separator: ",") + "}"
        case .array(let items): return "[" + items.map(canonical).joined(separator: ",") + "]"
        default: return JSONWriter.compact(value)
        }
    }
}
