import Foundation
import Testing

/// The README's table of targets says what `Package.swift` declares: each target of the package
/// with the targets it uses, no more and no fewer.
@Suite struct PackageGraphTests {
    /// Target name → the package's own targets it depends on (products of other packages left out).
    static func declared() throws -> [String: Set<String>] {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        let target = try Regex(#"\.(?:target|executableTarget)\(\s*name:\s*"(\w+)""#)
        let nextTarget = try Regex(#"\.(?:target|executableTarget|testTarget|systemLibrary)\("#)
        var graph: [String: Set<String>] = [:]
        for match in text.matches(of: target) {
            guard let name = match.output[1].substring.map(String.init), name != "TestSupport" else { continue }
            let rest = text[match.range.upperBound...]
            let chunk = rest[..<(rest.firstMatch(of: nextTarget)?.range.lowerBound ?? rest.endIndex)]
            var uses: Set<String> = []
            if let open = chunk.range(of: "dependencies: [") {
                var depth = 1, index = open.upperBound
                while depth > 0, index < chunk.endIndex {
                    if chunk[index] == "[" { depth += 1 } else if chunk[index] == "]" { depth -= 1 }
                    index = chunk.index(after: index)
                }
                let list = String(chunk[open.upperBound..<index]).replacing(try Regex(#"\.product\([^)]*\)"#), with: "")
                uses = Set(list.matches(of: try Regex(#""(\w+)""#)).compactMap { $0.output[1].substring.map(String.init) })
            }
            graph[name] = uses
        }
        return graph
    }

    /// The rows between the README's `targets:begin` and `targets:end` markers.
    static func documented() throws -> [String: Set<String>] {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = try #require(readme.range(of: "<!-- targets:begin -->")), end = try #require(readme.range(of: "<!-- targets:end -->"))
        var graph: [String: Set<String>] = [:]
        for line in readme[begin.upperBound..<end.lowerBound].split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 3 else { continue }
            let names = { (cell: String) in Set(cell.matches(of: try! Regex(#"`(\w+)`"#)).compactMap { $0.output[1].substring.map(String.init) }) }
            guard let name = names(cells[0]).first else { continue }
            graph[name] = names(cells[2])
        }
        return graph
    }

    @Test func theReadmeTableMatchesPackageSwift() throws {
        let declared = try Self.declared(), documented = try Self.documented()
        #expect(declared.count > 15, "Package.swift read: \(declared.keys.sorted())")
        #expect(Set(declared.keys) == Set(documented.keys), "targets: only in Package.swift \(Set(declared.keys).subtracting(documented.keys).sorted()), only in README \(Set(documented.keys).subtracting(declared.keys).sorted())")
        for (name, uses) in declared.sorted(by: { $0.key < $1.key }) {
            #expect(documented[name] == uses, "\(name): Package.swift \(uses.sorted()), README \(documented[name]?.sorted() ?? [])")
        }
    }

    /// The cut the README promises: results beside what makes them, the wire apart from the engine.
    @Test func resultsLiveBesideWhatMakesThem() throws {
        let declared = try Self.declared()
        #expect(declared["Gate"]?.contains("Reports") == false, "Gate renders nothing")
        #expect(declared["Flows"]?.contains("LoadEngine") == false, "Flows sends on HTTPWire")
        #expect(declared["LoadEngine"]?.contains("HTTPWire") == true && declared["Flows"]?.contains("HTTPWire") == true)
    }
}
