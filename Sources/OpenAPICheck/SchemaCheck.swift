package import ContractCore
import Foundation

/// One thing a check found: where in the pact (`$.items[0].price`, relative to the part checked),
/// where in the document, and what is wrong.
package struct SchemaFinding: Sendable, Equatable {
    package enum Severity: String, Sendable { case error, warning }

    package var severity: Severity
    package var path: DocumentPath
    package var place: DocumentPlace
    package var message: String
    /// What the document allows, and what the pact has, when one value says it.
    package var expected: String?
    package var actual: String?
}

/// Which way a body travels: a consumer sends requests and expects responses, and a matching
/// rule widens what it sends (the provider must take all of it) or what it accepts.
package enum ExchangeSide: Sendable { case request, response }

/// Checks a pact's example value and its matching rules against a schema of an OpenAPI document
/// (JSON Schema as OpenAPI 3.0 and 3.1 write it: `$ref`, `allOf`/`anyOf`/`oneOf`/`not`, `nullable`
/// and `type: [..., "null"]`, and the keywords of every type).
///
/// A request is checked whole: required fields must be there. A response is what the consumer
/// expects, a part of what the provider sends: required fields it leaves out are fine, fields it
/// expects that the document marks optional or does not describe are warnings.
struct SchemaCheck {
    let document: OpenAPIDocument
    let side: ExchangeSide
    /// The matching rules at a place of the value, and whether they were written for a parent.
    let rules: (DocumentPath) -> (rules: RuleList, cascaded: Bool)?
    /// Shared by every check of one interaction: stops a document too costly to evaluate.
    let budget: SchemaBudget

    /// What validating one value against one schema found: `invalid` makes the value fail the
    /// schema (and a branch of `anyOf`/`oneOf` not match); `notes` are kept only where it matches.
    struct Outcome {
        var invalid: [SchemaFinding] = []
        var notes: [SchemaFinding] = []

        mutating func merge(_ other: Outcome) {
            invalid += other.invalid
            notes += other.notes
        }
    }

    /// Every finding for `value` at the root of `schema`.
    func check(_ value: JSONValue, schema: JSONValue, at place: DocumentPlace, path: DocumentPath = .root) -> [SchemaFinding] {
        let outcome = validate(value, schema, place, path, depth: 0, entry: true)
        return outcome.invalid + outcome.notes
    }

    static let maximumDepth = 256

    /// - Parameter following: the `$ref`s followed for this value without going into it: one
    ///   met again goes round without describing anything.
    func validate(_ value: JSONValue, _ schema: JSONValue, _ place: DocumentPlace, _ path: DocumentPath, depth: Int, entry: Bool,
                  following: Set<String> = []) -> Outcome {
        var outcome = Outcome()
        func invalid(_ message: String, at where_: DocumentPlace? = nil, path at: DocumentPath? = nil, expected: String? = nil) {
            outcome.invalid.append(SchemaFinding(severity: .error, path: at ?? path, place: where_ ?? place, message: message,
                                                 expected: expected, actual: JSONWriter.compact(value)))
        }
        guard budget.spend() else { return outcome }
        guard depth < Self.maximumDepth else {
            invalid("the schema nests deeper than \(Self.maximumDepth) levels (do its $refs go round?)")
            return outcome
        }
        switch schema {
        case .bool(true): return outcome
        case .bool(false):
            invalid("the document allows no value here (schema false)")
            return outcome
        case .object: break
        default: return outcome
        }
        guard case .object(let node) = schema else { return outcome }

        if entry {
            let view = members(of: schema, place: place, value: value, depth: depth)
            outcome.notes += presence(of: value, view: view, path: path)
            outcome.notes += widening(of: value, view: view, path: path)
        }

        if let reference = node["$ref"]?.stringValue {
            guard let target = document.node(at: reference) else {
                invalid("the $ref '\(reference)' leads nowhere in the document", at: place.appending("$ref"))
                return outcome
            }
            guard !following.contains(reference) else {
                invalid("the $ref '\(reference)' leads back to itself without describing the value", at: place.appending("$ref"))
                return outcome
            }
            outcome.merge(validate(value, target, place.following(reference), path, depth: depth + 1, entry: false, following: following.union([reference])))
            // In OpenAPI 3.0 a $ref replaces its siblings; in 3.1 they apply too.
            if document.version == .v3_0 { return outcome }
        }

        let nullable = document.version == .v3_0 && node["nullable"]?.boolValue == true
        if let types = Self.types(node["type"]) {
            let allowed = nullable ? types + ["null"] : types
            guard allowed.contains(where: { Self.isOfType(value, $0) }) else {
                invalid("a \(Self.typeName(value)) where the document has \(allowed.joined(separator: " or "))", at: place.appending("type"),
                        expected: allowed.joined(separator: " | "))
                return outcome
            }
        }
        if value == .null && nullable { return outcome }
        if let options = node["enum"]?.arrayValue, !options.contains(where: { Self.same($0, value) }) {
            invalid("\(Self.short(value)) is not one of \(Self.shortList(options))", at: place.appending("enum"),
                    expected: Self.short(.array(options)))
        }
        if let constant = node["const"], !Self.same(constant, value) {
            invalid("\(Self.short(value)) is not the constant \(Self.short(constant))", at: place.appending("const"), expected: JSONWriter.compact(constant))
        }

        switch value {
        case .string(let text):
            let length = text.unicodeScalars.count
            if let minimum = node["minLength"]?.intValue, length < minimum {
                invalid("\(length) characters, fewer than the \(minimum) the document requires", at: place.appending("minLength"))
            }
            if let maximum = node["maxLength"]?.intValue, length > maximum {
                invalid("\(length) characters, more than the \(maximum) the document allows", at: place.appending("maxLength"))
            }
            if let pattern = node["pattern"]?.stringValue {
                if RegexCache.shared.regex(pattern) == nil {
                    outcome.notes.append(SchemaFinding(severity: .warning, path: path, place: place.appending("pattern"),
                                                       message: "the document's pattern '\(pattern.prefix(80))' is not a regular expression this check reads; not checked"))
                } else if !RegexCache.shared.contains(pattern, in: text) {
                    invalid("\(Self.short(value)) does not match the pattern '\(pattern)'", at: place.appending("pattern"), expected: pattern)
                }
            }
        case .integer, .decimal:
            outcome.invalid += numberKeywords(value, node, place, path)
        case .object(let object):
            outcome.merge(objectKeywords(object, node, place, path, depth: depth))
        case .array(let items):
            outcome.merge(arrayKeywords(items, node, place, path, depth: depth))
        default:
            break
        }
        if let format = node["format"]?.stringValue, let problem = SchemaFormats.problem(value, format: format) {
            invalid(problem, at: place.appending("format"), expected: format)
        }

        if let parts = node["allOf"]?.arrayValue {
            for (index, part) in parts.enumerated() {
                outcome.merge(validate(value, part, place.appending("allOf").appending(String(index)), path, depth: depth + 1, entry: false, following: following))
            }
        }
        for keyword in ["anyOf", "oneOf"] {
            guard let branches = node[keyword]?.arrayValue, !branches.isEmpty else { continue }
            let results = branches.enumerated().map { index, branch in
                validate(value, branch, place.appending(keyword).appending(String(index)), path, depth: depth + 1, entry: false, following: following)
            }
            let matching = results.filter(\.invalid.isEmpty)
            if matching.isEmpty {
                let reasons = results.enumerated().compactMap { index, result in result.invalid.first.map { "#\(index): \($0.message)" } }
                invalid("matches none of the \(branches.count) schemas of \(keyword) (\(reasons.prefix(4).joined(separator: "; ")))", at: place.appending(keyword))
            } else if keyword == "oneOf", matching.count > 1, side == .request {
                // A response the consumer expects is only a part of one: it may fit several branches.
                invalid("matches \(matching.count) of the schemas of oneOf, where exactly one must match", at: place.appending(keyword))
            } else {
                outcome.notes += matching[0].notes
            }
        }
        if let excluded = node["not"], validate(value, excluded, place.appending("not"), path, depth: depth + 1, entry: false, following: following).invalid.isEmpty {
            invalid("matches the schema under 'not'", at: place.appending("not"))
        }
        return outcome
    }

    private func numberKeywords(_ value: JSONValue, _ node: JSONObject, _ place: DocumentPlace, _ path: DocumentPath) -> [SchemaFinding] {
        var found: [SchemaFinding] = []
        func invalid(_ message: String, _ at: DocumentPlace, _: DocumentPath?, _: String?) {
            found.append(SchemaFinding(severity: .error, path: path, place: at, message: message, actual: JSONWriter.compact(value)))
        }
        guard let number = value.doubleValue else { return [] }
        let shown = JSONWriter.compact(value)
        let exclusiveFlags = document.version == .v3_0
        if let minimum = node["minimum"]?.doubleValue {
            let exclusive = exclusiveFlags && node["exclusiveMinimum"]?.boolValue == true
            if exclusive ? number <= minimum : number < minimum {
                invalid("\(shown) is below the \(exclusive ? "exclusive " : "")minimum \(Self.short(node["minimum"]!))", place.appending("minimum"), nil, nil)
            }
        }
        if let maximum = node["maximum"]?.doubleValue {
            let exclusive = exclusiveFlags && node["exclusiveMaximum"]?.boolValue == true
            if exclusive ? number >= maximum : number > maximum {
                invalid("\(shown) is above the \(exclusive ? "exclusive " : "")maximum \(Self.short(node["maximum"]!))", place.appending("maximum"), nil, nil)
            }
        }
        if !exclusiveFlags, let bound = node["exclusiveMinimum"]?.doubleValue, number <= bound {
            invalid("\(shown) is not above the exclusive minimum \(Self.short(node["exclusiveMinimum"]!))", place.appending("exclusiveMinimum"), nil, nil)
        }
        if !exclusiveFlags, let bound = node["exclusiveMaximum"]?.doubleValue, number >= bound {
            invalid("\(shown) is not below the exclusive maximum \(Self.short(node["exclusiveMaximum"]!))", place.appending("exclusiveMaximum"), nil, nil)
        }
        if let step = node["multipleOf"]?.doubleValue, step > 0 {
            let quotient = number / step
            if abs(quotient - quotient.rounded()) > 1e-9 * max(1, abs(quotient)) {
                invalid("\(shown) is not a multiple of \(Self.short(node["multipleOf"]!))", place.appending("multipleOf"), nil, nil)
            }
        }
        return found
    }

    private func objectKeywords(_ object: JSONObject, _ node: JSONObject, _ place: DocumentPlace, _ path: DocumentPath, depth: Int) -> Outcome {
        var outcome = Outcome()
        func invalid(_ message: String, _ at: DocumentPlace, _ fieldPath: DocumentPath?, _: String?) {
            outcome.invalid.append(SchemaFinding(severity: .error, path: fieldPath ?? path, place: at, message: message))
        }
        let properties = node["properties"]?.objectValue ?? JSONObject()
        let patterns = node["patternProperties"]?.objectValue ?? JSONObject()
        for (key, child) in object {
            let childPath = path.appending(field: key)
            var described = false
            if let schema = properties[key] {
                described = true
                outcome.merge(validate(child, schema, place.appending("properties").appending(key), childPath, depth: depth + 1, entry: true))
            }
            for (pattern, schema) in patterns where RegexCache.shared.contains(pattern, in: key) {
                described = true
                outcome.merge(validate(child, schema, place.appending("patternProperties").appending(pattern), childPath, depth: depth + 1, entry: true))
            }
            guard !described, let additional = node["additionalProperties"] else { continue }
            if additional == .bool(false) {
                let allowed = properties.keys.isEmpty ? "none" : properties.keys.joined(separator: ", ")
                invalid("'\(key)' is not a property the document allows (additionalProperties: false; it has \(allowed))",
                        place.appending("additionalProperties"), childPath, nil)
            } else if case .object = additional {
                outcome.merge(validate(child, additional, place.appending("additionalProperties"), childPath, depth: depth + 1, entry: true))
            }
        }
        guard side == .request else { return outcome }
        for (index, name) in (node["required"]?.arrayValue ?? []).enumerated() {
            guard let name = name.stringValue, !object.contains(name) else { continue }
            invalid("the required field '\(name)' is missing", place.appending("required").appending(String(index)), path.appending(field: name), nil)
        }
        if let minimum = node["minProperties"]?.intValue, object.count < minimum {
            invalid("\(object.count) properties, fewer than the \(minimum) the document requires", place.appending("minProperties"), nil, nil)
        }
        if let maximum = node["maxProperties"]?.intValue, object.count > maximum {
            invalid("\(object.count) properties, more than the \(maximum) the document allows", place.appending("maxProperties"), nil, nil)
        }
        return outcome
    }

    private func arrayKeywords(_ items: [JSONValue], _ node: JSONObject, _ place: DocumentPlace, _ path: DocumentPath, depth: Int) -> Outcome {
        var outcome = Outcome()
        func invalid(_ message: String, _ at: DocumentPlace, _: DocumentPath?, _: String?) {
            outcome.invalid.append(SchemaFinding(severity: .error, path: path, place: at, message: message))
        }
        let prefix = document.version == .v3_1 ? node["prefixItems"]?.arrayValue ?? [] : []
        for (index, item) in items.enumerated() {
            let itemPath = path.appending(index: index)
            if index < prefix.count {
                outcome.merge(validate(item, prefix[index], place.appending("prefixItems").appending(String(index)), itemPath, depth: depth + 1, entry: true))
            } else if let schema = node["items"], schema.arrayValue == nil {
                outcome.merge(validate(item, schema, place.appending("items"), itemPath, depth: depth + 1, entry: true))
            }
        }
        // A consumer's expected array is an example of what it accepts: its length says nothing of the provider's.
        if side == .request, let minimum = node["minItems"]?.intValue, items.count < minimum {
            invalid("\(items.count) item(s), fewer than the \(minimum) the document requires", place.appending("minItems"), nil, nil)
        }
        if side == .request, let maximum = node["maxItems"]?.intValue, items.count > maximum {
            invalid("\(items.count) items, more than the \(maximum) the document allows", place.appending("maxItems"), nil, nil)
        }
        if node["uniqueItems"]?.boolValue == true {
            for i in items.indices { for j in items.indices where j > i && Self.same(items[i], items[j]) {
                invalid("items \(i) and \(j) are equal where the document wants unique items", place.appending("uniqueItems"), nil, nil)
            } }
        }
        return outcome
    }
}

extension SchemaCheck {
    /// The schema objects that together describe a value at one place: the node, what its `$ref`s
    /// lead to, its `allOf` parts, and the `anyOf`/`oneOf` branches the value matches.
    func members(of schema: JSONValue, place: DocumentPlace, value: JSONValue, depth: Int) -> [(node: JSONObject, place: DocumentPlace)] {
        var found: [(node: JSONObject, place: DocumentPlace)] = []
        var seen: Set<String> = []
        func visit(_ schema: JSONValue, _ place: DocumentPlace, _ level: Int) {
            guard level < 64, budget.spend(), case .object(let node) = schema, seen.insert(place.written).inserted else { return }
            found.append((node, place))
            if let reference = node["$ref"]?.stringValue, let target = document.node(at: reference) {
                visit(target, place.following(reference), level + 1)
                if document.version == .v3_0 { return }
            }
            for (index, part) in (node["allOf"]?.arrayValue ?? []).enumerated() {
                visit(part, place.appending("allOf").appending(String(index)), level + 1)
            }
            for keyword in ["anyOf", "oneOf"] {
                for (index, branch) in (node[keyword]?.arrayValue ?? []).enumerated() {
                    let branchPlace = place.appending(keyword).appending(String(index))
                    if validate(value, branch, branchPlace, .root, depth: depth + 1, entry: false).invalid.isEmpty { visit(branch, branchPlace, level + 1) }
                }
            }
        }
        visit(schema, place, 0)
        // In 3.0 the siblings of a $ref do not apply: drop the node itself when it only refers.
        return found.filter { document.version == .v3_1 || $0.node["$ref"] == nil }
    }

    /// Fields the consumer sends or expects that the document does not describe, and fields it
    /// expects that the provider may leave out.
    func presence(of value: JSONValue, view: [(node: JSONObject, place: DocumentPlace)], path: DocumentPath) -> [SchemaFinding] {
        guard case .object(let object) = value else { return [] }
        var described: Set<String> = []
        var required: Set<String> = []
        var openEnded = false
        var describesProperties = false
        for (node, _) in view {
            if let properties = node["properties"]?.objectValue {
                describesProperties = true
                described.formUnion(properties.keys)
            }
            for name in node["required"]?.arrayValue ?? [] { if let name = name.stringValue { required.insert(name) } }
            if node["patternProperties"] != nil { openEnded = true }
            // additionalProperties: false is an error found by validation; a schema there describes the rest.
            if let additional = node["additionalProperties"], additional != .bool(true) { openEnded = true }
        }
        guard describesProperties, let place = view.first?.place else { return [] }
        var findings: [SchemaFinding] = []
        for key in object.keys {
            let fieldPath = path.appending(field: key)
            if !described.contains(key) {
                guard !openEnded else { continue }
                let who = side == .request ? "the consumer sends" : "the consumer expects"
                findings.append(SchemaFinding(severity: .warning, path: fieldPath, place: place.appending("properties"),
                                              message: "\(who) '\(key)', which the document does not describe"
                                                  + (side == .request ? " (the provider may ignore or refuse it)" : " (the provider may not send it)")))
            } else if side == .response, !required.contains(key) {
                let written = view.first { $0.node["properties"]?.objectValue?.contains(key) == true }?.place ?? place
                findings.append(SchemaFinding(severity: .warning, path: fieldPath, place: written.appending("properties").appending(key),
                                              message: "the consumer expects '\(key)', which the document marks optional: the provider may leave it out"))
            }
        }
        return findings
    }

    static func types(_ node: JSONValue?) -> [String]? {
        switch node {
        case .string(let type)?: return [type]
        case .array(let list)?: return list.compactMap(\.stringValue)
        default: return nil
        }
    }

    static func isOfType(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): return true
        case ("number", .integer), ("number", .decimal), ("integer", .integer): return true
        case ("integer", .decimal(let d)): return d.isFinite && d == d.rounded()
        default: return false
        }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .integer: return "integer"
        case .decimal: return "number"
        default: return value.typeName
        }
    }

    /// Equality as JSON Schema has it: numbers by value, objects whatever their key order.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.integer, .decimal), (.decimal, .integer), (.integer, .integer), (.decimal, .decimal):
            return a.doubleValue == b.doubleValue
        case let (.array(x), .array(y)):
            return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case let (.object(x), .object(y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { same(value, $0) } ?? false }
        default:
            return a == b
        }
    }

    static func short(_ value: JSONValue) -> String {
        let text = JSONWriter.compact(value)
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }

    /// How many options a message lists: an enum of a million values is no message.
    static let listedOptions = 10

    /// `a, b, c` — the first `listedOptions`, then how many more there are.
    static func shortList(_ options: [JSONValue]) -> String {
        let shown = options.prefix(listedOptions).map(short).joined(separator: ", ")
        return options.count > listedOptions ? shown + " … (\(options.count - listedOptions) more)" : shown
    }
}
