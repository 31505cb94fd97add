package import ContractCore
import Foundation
import Synchronization

/// Text with `${…}` placeholders, read once when a profile loads and rendered per request:
/// variables (`${order_id}`, from captures and feeders) and built-ins (`${uuid}`, `${seq}`,
/// `${random_int(1,100)}`, `${email}`, `${vu}`, `${iteration}`).
package struct Template: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        case text(String)
        case variable(String)
        case uuid, seq, email, vu, iteration
        case randomInt(Int, Int)
    }

    let parts: [Part]

    init(parts: [Part]) { self.parts = parts }

    /// Reads `text`; a placeholder that is neither a variable name nor a known built-in is an error.
    package init(_ text: String) throws(TemplateError) {
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            literal += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw TemplateError(text: text, reason: "'${' without a closing '}'")
            }
            let inside = String(rest[open.upperBound..<close]).trimmingCharacters(in: .whitespaces)
            if !literal.isEmpty { parts.append(.text(literal)); literal = "" }
            parts.append(try Self.placeholder(inside, in: text))
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { parts.append(.text(literal)) }
        self.parts = parts
    }

    private static func placeholder(_ inside: String, in text: String) throws(TemplateError) -> Part {
        switch inside {
        case "uuid": return .uuid
        case "seq": return .seq
        case "email": return .email
        case "vu": return .vu
        case "iteration": return .iteration
        default: break
        }
        if inside.hasPrefix("random_int(") && inside.hasSuffix(")") {
            let arguments = inside.dropFirst("random_int(".count).dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard arguments.count == 2, let low = Int(arguments[0]), let high = Int(arguments[1]), low <= high else {
                throw TemplateError(text: text, reason: "random_int takes two whole numbers, low ≤ high: ${random_int(1,100)}")
            }
            return .randomInt(low, high)
        }
        guard Self.isVariableName(inside) else {
            throw TemplateError(text: text, reason: "'${\(inside)}' is not a variable or a built-in (uuid, seq, email, vu, iteration, random_int(a,b))")
        }
        return .variable(inside)
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.first, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }
    }

    /// The variables the template reads.
    package var variables: [String] {
        parts.compactMap { if case .variable(let name) = $0 { return name } else { return nil } }
    }

    /// True when rendering always gives the same text.
    package var isConstant: Bool { parts.allSatisfy { if case .text = $0 { return true } else { return false } } }

    /// When the template is exactly one variable: its name (its value keeps its JSON type in bodies).
    var soleVariable: String? {
        if parts.count == 1, case .variable(let name) = parts[0] { return name }
        return nil
    }

    /// True when the template is exactly one numeric built-in.
    var isSoleNumber: Bool {
        guard parts.count == 1 else { return false }
        switch parts[0] {
        case .seq, .vu, .iteration, .randomInt: return true
        default: return false
        }
    }

    package func render(_ scope: inout RenderScope) -> String {
        if parts.count == 1, case .text(let text) = parts[0] { return text }
        var out = ""
        for part in parts {
            switch part {
            case .text(let text): out += text
            case .variable(let name): out += scope.variables[name]?.matchText ?? ""
            case .uuid: out += UUID().uuidString.lowercased()
            case .seq: out += String(scope.nextSequence())
            case .email: out += "user-\(scope.nextSequence())-\(UInt32.random(in: 0...UInt32.max, using: &scope.random))@example.com"
            case .vu: out += String(scope.vu)
            case .iteration: out += String(scope.iteration)
            case .randomInt(let low, let high): out += String(Int.random(in: low...high, using: &scope.random))
            }
        }
        return out
    }
}

/// A placeholder that cannot be read.
package struct TemplateError: Error, Equatable, CustomStringConvertible {
    package let text: String
    package let reason: String
    package var description: String { reason }
}

/// What a virtual user's templates see: its variables, its number and iteration, a random
/// source, and the run-wide sequence.
package struct RenderScope: Sendable {
    package var variables: [String: JSONValue] = [:]
    package var vu = 0
    package var iteration = 0
    package var random = SystemRandomNumberGenerator()
    let sequence: RunSequence

    package init(sequence: RunSequence) { self.sequence = sequence }

    mutating func nextSequence() -> Int { sequence.next() }
}

/// The run-wide `${seq}` counter (distinct per shard: shard i of N counts i, i+N, i+2N, …).
package final class RunSequence: Sendable {
    private let counter = Mutex(0)
    private let stride: Int
    private let offset: Int

    package init(shard: Shard = .whole) {
        stride = shard.count
        offset = shard.index
    }

    func next() -> Int { counter.withLock { n in n += 1; return (n - 1) * stride + offset + 1 } }
}
