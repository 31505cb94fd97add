import Foundation
package import Yams

/// One problem in a file Tollgate reads (a load profile, a flow, a gate file): where, which field, what.
package struct FileProblem: Sendable, Equatable, CustomStringConvertible {
    package let file: String
    package let line: Int?
    package let field: String
    package let message: String

    package init(file: String, line: Int?, field: String, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    package var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(field.isEmpty ? "" : field + ": ")\(message)"
    }
}

/// Every problem found in a profile, flow or gate file (all of them, not only the first).
package struct FileProblems: Error, Sendable, CustomStringConvertible {
    package let problems: [FileProblem]

    package init(problems: [FileProblem]) { self.problems = problems }

    package var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Reads YAML nodes while collecting problems with their line numbers.
package struct NodeReader {
    package let file: String
    package var problems: [FileProblem] = []
    /// How many more YAML values bodies and expected values may hold in all: aliases can make a
    /// small file describe an enormous document ("billion laughs"), which is refused, not built.
    var valueBudget = 200_000

    package init(file: String) { self.file = file }

    /// Reads a whole file's text: `${NAME:-default}` filled from `environment`, then YAML whose
    /// root is a mapping of `allowed` fields; its root and its fields by name. A text that is not
    /// YAML, is empty (`empty` says what) or has unknown fields throws every problem found.
    package mutating func document(_ text: String, environment: [String: String], allowed: Set<String>, empty: String) throws -> (root: Node, values: [String: Node]) {
        let substituted = Self.substitute(text, environment: environment, reader: &self)
        let root: Node?
        do { root = try Yams.compose(yaml: substituted) } catch {
            // The parser's position and problem only: never the text around it (the file may not be ours to show).
            let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "unreadable"
            throw FileProblems(problems: problems + [FileProblem(file: file, line: nil, field: "", message: "not YAML: \(first.prefix(200))")])
        }
        // A file none of whose top-level fields is known is not this kind of file at all: say so
        // without echoing its contents (a stage path of /etc/shadow must not print the hashes).
        if let root, case .mapping(let top) = root, !top.keys.contains(where: { $0.string.map(allowed.contains) ?? false }) {
            throw FileProblems(problems: problems + [FileProblem(file: file, line: nil, field: "",
                                                                    message: "not a file of this kind: none of its \(top.count) top-level fields is known (expected \(allowed.sorted().joined(separator: ", ")))")])
        }
        if let root, case .scalar = root {
            throw FileProblems(problems: problems + [FileProblem(file: file, line: nil, field: "", message: "not a file of this kind: expected a mapping (key: value)")])
        }
        guard let root, let top = mapping(root, "", allowed: allowed) else {
            if root == nil { problem(nil, "", empty) }
            throw FileProblems(problems: problems)
        }
        return (root, Dictionary(top.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }))
    }

    package mutating func problem(_ node: Node?, _ field: String, _ message: String) {
        problems.append(FileProblem(file: file, line: node?.mark.map { $0.line }, field: field, message: message))
    }

    /// A mapping's entries with string keys; unknown keys are problems.
    package mutating func mapping(_ node: Node?, _ field: String, allowed: Set<String>? = nil) -> [(key: String, value: Node)]? {
        guard let node else { return nil }
        guard case .mapping(let mapping) = node else {
            problem(node, field, "expected a mapping (key: value)")
            return nil
        }
        var entries: [(key: String, value: Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else {
                problem(key, field, "keys must be text")
                continue
            }
            if let allowed, !allowed.contains(name) {
                problem(key, field.isEmpty ? name : "\(field).\(name)", "unknown field (known: \(allowed.sorted().joined(separator: ", ")))")
                continue
            }
            entries.append((name, value))
        }
        return entries
    }

    package mutating func sequence(_ node: Node?, _ field: String) -> [Node]? {
        guard let node else { return nil }
        guard case .sequence(let items) = node else {
            problem(node, field, "expected a list")
            return nil
        }
        return Array(items)
    }

    package mutating func string(_ node: Node?, _ field: String) -> String? {
        guard let node else { return nil }
        guard case .scalar(let scalar) = node else {
            problem(node, field, "expected text")
            return nil
        }
        return scalar.string
    }

    package mutating func integer(_ node: Node?, _ field: String, in range: ClosedRange<Int>) -> Int? {
        guard let node else { return nil }
        guard case .scalar = node, let value = node.int else {
            problem(node, field, "expected a whole number")
            return nil
        }
        guard range.contains(value) else {
            problem(node, field, "must be between \(range.lowerBound) and \(range.upperBound), found \(value)")
            return nil
        }
        return value
    }

    package mutating func number(_ node: Node?, _ field: String, in range: ClosedRange<Double>) -> Double? {
        guard let node else { return nil }
        guard case .scalar = node, let value = node.float ?? node.int.map(Double.init), value.isFinite else {
            problem(node, field, "expected a number")
            return nil
        }
        guard range.contains(value) else {
            problem(node, field, "must be between \(range.lowerBound) and \(range.upperBound), found \(value)")
            return nil
        }
        return value
    }

    package mutating func duration(_ node: Node?, _ field: String) -> Double? {
        guard let node else { return nil }
        if case .scalar = node, let text = node.string, let seconds = DurationText.seconds(text) { return seconds }
        problem(node, field, "expected a duration such as 500ms, 30s, 5m, 1h")
        return nil
    }

    package mutating func bool(_ node: Node?, _ field: String) -> Bool? {
        guard let node else { return nil }
        guard case .scalar = node, let value = node.bool else {
            problem(node, field, "expected true or false")
            return nil
        }
        return value
    }
}

extension NodeReader {
    /// A profile's or flow's text; a file that cannot be read or is over 4 MB is a problem.
    package static func readText(_ file: String) throws -> String {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw FileProblems(problems: [FileProblem(file: file, line: nil, field: "", message: "cannot be read: \(error.localizedDescription)")])
        }
        guard data.count <= 4 * 1024 * 1024 else {
            throw FileProblems(problems: [FileProblem(file: file, line: nil, field: "", message: "larger than 4 MB")])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Replaces `${NAME:-default}` and `${NAME}` (NAME in upper case) from the environment.
    package static func substitute(_ text: String, environment: [String: String], reader: inout NodeReader) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
            let inside = rest[open.upperBound..<close]
            let parts = inside.components(separatedBy: ":-")
            let name = parts[0]
            let isEnvironment = !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") } && name.first!.isLetter
            if isEnvironment {
                if let value = environment[name], !value.isEmpty {
                    out += value
                } else if parts.count > 1 {
                    out += parts.dropFirst().joined(separator: ":-")
                } else {
                    let line = text[..<open.lowerBound].filter { $0 == "\n" }.count + 1
                    reader.problems.append(FileProblem(file: reader.file, line: line, field: "${\(name)}",
                                                          message: "environment variable \(name) is not set and has no default (${\(name):-default})"))
                }
            } else {
                out += rest[open.lowerBound...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }
}
