/// The place of an XML node, written three ways because pact files address XML three ways:
/// by names only (`$.animals.alligator['@id']`), with the index within same-named siblings
/// (`$.animals.alligator[1]['@id']`), or with the position among all children (`$.animals[1].alligator`).
struct XMLPath {
    var plain: DocumentPath
    var grouped: DocumentPath
    var positional: DocumentPath

    static func root(_ name: String) -> XMLPath {
        let path = DocumentPath.root.appending(field: name)
        return XMLPath(plain: path, grouped: path, positional: path)
    }

    func child(_ name: String, groupIndex: Int, position: Int) -> XMLPath {
        XMLPath(plain: plain.appending(field: name),
                grouped: grouped.appending(field: name).appending(index: groupIndex),
                positional: positional.appending(index: position).appending(field: name))
    }

    /// An attribute (`@name`) or the text (`#text`) of this element.
    func leaf(_ name: String) -> XMLPath {
        XMLPath(plain: plain.appending(field: name), grouped: grouped.appending(field: name), positional: positional.appending(field: name))
    }

    var all: [DocumentPath] { [plain, grouped, positional] }

    /// The readable form used in mismatches.
    var display: String { grouped.description }
}

/// Compares XML bodies element by element: names (with namespaces), attributes, child
/// elements grouped by name, and text.
struct XMLBodyMatcher {
    let rules: BodyRules
    let allowUnexpectedKeys: Bool
    private(set) var mismatches: [Mismatch] = []

    static func match(expected: String, actual: String, rules: BodyRules, allowUnexpectedKeys: Bool) -> [Mismatch] {
        let expectedRoot: XMLNode
        do { expectedRoot = try XMLDocumentParser.parse(expected) } catch {
            return [Mismatch(kind: .body, path: "$", expected: expected, actual: actual, message: "The contract's XML body does not parse: \(error)")]
        }
        let actualRoot: XMLNode
        do { actualRoot = try XMLDocumentParser.parse(actual) } catch {
            return [Mismatch(kind: .body, path: "$", expected: expected, actual: actual, message: "The actual body is not valid XML: \(error)")]
        }
        var matcher = XMLBodyMatcher(rules: rules, allowUnexpectedKeys: allowUnexpectedKeys)
        if expectedRoot.name != actualRoot.name {
            matcher.fail("$", expectedRoot.name, actualRoot.name, "Expected the root element <\(expectedRoot.name)> but received <\(actualRoot.name)>")
        } else {
            matcher.compareElement(.root(expectedRoot.name), expectedRoot, actualRoot)
        }
        return matcher.mismatches
    }

    private mutating func fail(_ path: String, _ expected: String?, _ actual: String?, _ message: String) {
        mismatches.append(Mismatch(kind: .body, path: path, expected: expected, actual: actual, message: message))
    }

    private mutating func fail(_ path: XMLPath, _ expected: String?, _ actual: String?, _ message: String) {
        fail(path.display, expected, actual, message)
    }

    /// The best rules for any way of writing `path`.
    private func best(for path: XMLPath) -> (rules: RuleList, cascaded: Bool)? {
        var best: (score: Int, rules: RuleList, cascaded: Bool)?
        for candidate in path.all {
            for entry in rules.entries {
                let weight = entry.expression.weight(for: candidate)
                guard weight > 0 else { continue }
                let score = weight * entry.expression.tokens.count
                if best == nil || score > best!.score {
                    best = (score, entry.rules, entry.expression.tokens.count != candidate.length)
                }
            }
        }
        return best.map { ($0.rules, $0.cascaded) }
    }

    private func typeMatcherDefined(_ path: XMLPath) -> Bool {
        best(for: path)?.rules.hasTypeLikeRule ?? false
    }

    mutating func compareElement(_ path: XMLPath, _ expected: XMLNode, _ actual: XMLNode) {
        if let (list, cascaded) = best(for: path) {
            var failures: [String] = []
            for rule in list.rules {
                switch rule {
                case .minType(let min) where !cascaded && actual.children.count < min:
                    failures.append("Expected <\(actual.name)> to have at least \(min) child element(s) but it has \(actual.children.count)")
                case .maxType(let max) where !cascaded && actual.children.count > max:
                    failures.append("Expected <\(actual.name)> to have at most \(max) child element(s) but it has \(actual.children.count)")
                case .minMaxType(let min, let max) where !cascaded && (actual.children.count < min || actual.children.count > max):
                    failures.append("Expected <\(actual.name)> to have \(min)...\(max) child element(s) but it has \(actual.children.count)")
                case .type, .minType, .maxType, .minMaxType, .equality, .values, .notEmpty, .eachValue, .eachKey, .arrayContains:
                    if expected.name != actual.name { failures.append("Expected element <\(expected.name)> but received <\(actual.name)>") }
                default:
                    // Value rules (regex, number, date, …) on an element apply to its text.
                    if let reason = RuleCheck.check(rule, expected: .text(expected.text), actual: .text(actual.text)) {
                        failures.append("<\(actual.name)>: \(reason)")
                    }
                }
            }
            if !failures.isEmpty {
                for failure in failures { fail(path, expected.name, actual.name, failure) }
                return
            }
        } else if expected.name != actual.name {
            fail(path, expected.name, actual.name, "Expected element <\(expected.name)> but received <\(actual.name)>")
            return
        }
        compareAttributes(path, expected, actual)
        compareChildren(path, expected, actual)
        compareText(path, expected, actual)
    }

    private mutating func compareAttributes(_ path: XMLPath, _ expected: XMLNode, _ actual: XMLNode) {
        let actualByName = Dictionary(actual.attributes.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        if !allowUnexpectedKeys {
            let expectedNames = Set(expected.attributes.map(\.name))
            for attribute in actual.attributes where !expectedNames.contains(attribute.name) {
                fail(path.leaf("@" + attribute.name), nil, attribute.value, "Unexpected attribute '\(attribute.name)'='\(attribute.value)'")
            }
        }
        for attribute in expected.attributes {
            let child = path.leaf("@" + attribute.name)
            guard let value = actualByName[attribute.name] else {
                fail(child, attribute.value, nil, "Expected attribute '\(attribute.name)'='\(attribute.value)' but it was missing")
                continue
            }
            compareText(child, attribute.value, value)
        }
    }

    private mutating func compareText(_ path: XMLPath, _ expected: String, _ actual: String) {
        if let (list, _) = best(for: path) {
            if let reason = RuleCheck.combine(list, expected: .text(expected), actual: .text(actual)) { fail(path, expected, actual, reason) }
        } else if expected != actual {
            fail(path, expected, actual, "Expected '\(expected)' but received '\(actual)'")
        }
    }

    private mutating func compareText(_ path: XMLPath, _ expected: XMLNode, _ actual: XMLNode) {
        compareText(path.leaf("#text"), expected.text, actual.text)
    }

    private mutating func compareChildren(_ path: XMLPath, _ expected: XMLNode, _ actual: XMLNode) {
        let names = actual.children.map { "<\($0.name)/>" }.joined(separator: ", ")
        if expected.children.isEmpty && !actual.children.isEmpty && !allowUnexpectedKeys {
            fail(path, nil, names, "Expected no child elements but received \(names)")
            return
        }
        let expectedGroups = XMLBodyMatcher.group(expected.children)
        let actualGroups = XMLBodyMatcher.group(actual.children)
        for (name, actualGroup) in actualGroups {
            let first = path.child(name, groupIndex: 0, position: actualGroup[0].position)
            guard let expectedGroup = expectedGroups.first(where: { $0.name == name })?.nodes else {
                if !allowUnexpectedKeys || typeMatcherDefined(first) {
                    fail(first, nil, "<\(name)/>", "Unexpected child element <\(name)/>")
                }
                continue
            }
            let eachLike = typeMatcherDefined(first)
            for index in 0..<max(expectedGroup.count, actualGroup.count) {
                if index < actualGroup.count {
                    let childPath = path.child(name, groupIndex: index, position: actualGroup[index].position)
                    if eachLike {
                        compareElement(childPath, expectedGroup[0].node, actualGroup[index].node)
                    } else if index < expectedGroup.count {
                        compareElement(childPath, expectedGroup[index].node, actualGroup[index].node)
                    } else if !allowUnexpectedKeys {
                        fail(childPath, nil, "<\(name)/>", "Unexpected child element <\(name)/> #\(index + 1)")
                    }
                } else if !eachLike {
                    let childPath = path.child(name, groupIndex: index, position: expectedGroup[index].position)
                    fail(childPath, "<\(name)/>", nil, "Expected child element <\(name)/> #\(index + 1) but it was missing")
                }
            }
        }
        for group in expectedGroups where !actualGroups.contains(where: { $0.name == group.name }) {
            fail(path.child(group.name, groupIndex: 0, position: group.nodes[0].position), "<\(group.name)/>", nil,
                 "Expected child element <\(group.name)/> but it was missing")
        }
    }

    /// Children grouped by name, each with its position among all children.
    private static func group(_ nodes: [XMLNode]) -> [(name: String, nodes: [(node: XMLNode, position: Int)])] {
        var groups: [(name: String, nodes: [(node: XMLNode, position: Int)])] = []
        for (position, node) in nodes.enumerated() {
            if let i = groups.firstIndex(where: { $0.name == node.name }) {
                groups[i].nodes.append((node, position))
            } else {
                groups.append((node.name, [(node, position)]))
            }
        }
        return groups
    }
}
