package import ContractCore
import Foundation
import YAMLValues
package import Yams

/// Reads steps (the model shared by load profiles and flows) from YAML nodes.
extension NodeReader {
    static let stepFields: Set<String> = ["name", "method", "path", "headers", "body", "tags", "capture", "check", "think", "timeout"]
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// Reads a list of steps; `known` are the variables defined before the first step (feeder
    /// columns), and every variable a template reads must be known by then.
    package mutating func steps(_ node: Node?, _ field: String, known: Set<String>, defaultHeaders: [(name: String, value: Template)]) -> [Step]? {
        guard let items = sequence(node, field) else {
            if node == nil { problem(nil, field, "a sequence needs 'steps'") }
            return nil
        }
        if items.isEmpty { problem(node, field, "a sequence needs at least one step") }
        var defined = known
        var steps: [Step] = []
        for (index, item) in items.enumerated() {
            let here = "\(field)[\(index)]"
            guard let (step, complete) = self.step(item, here, defaultHeaders: defaultHeaders) else { continue }
            for variable in Set(step.variables).sorted() where !defined.contains(variable) {
                problem(item, here, "'${\(variable)}' is not captured by an earlier step or a feeder column")
            }
            for capture in step.captures { defined.insert(capture.variable) }
            if complete { steps.append(step) }
        }
        return steps
    }

    /// The step as far as it could be read, and whether it was read without a problem.
    /// Headers `{Name: value}` (values templated); a name that is not a token or a value with a
    /// line break is a problem.
    package mutating func headers(_ node: Node?, _ field: String) -> [(name: String, value: Template)] {
        var headers: [(name: String, value: Template)] = []
        for (name, value) in mapping(node, field) ?? [] {
            guard let text = scalarText(value, "\(field).\(name)"), let template = template(text, value, "\(field).\(name)") else { continue }
            if name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) {
                problem(value, field, "'\(name)' is not a header name")
            } else if text.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                problem(value, "\(field).\(name)", "a header value has no line breaks")
            } else {
                headers.append((name, template))
            }
        }
        return headers
    }

    mutating func step(_ node: Node, _ field: String, defaultHeaders: [(name: String, value: Template)]) -> (Step, complete: Bool)? {
        guard let entries = mapping(node, field, allowed: Self.stepFields) else { return nil }
        let values = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let before = problems.count
        let method = (string(values["method"], "\(field).method") ?? "GET").uppercased()
        if !Self.methods.contains(method) { problem(values["method"], "\(field).method", "unknown method '\(method)' (\(Self.methods.sorted().joined(separator: ", ")))") }
        var path = Template.empty
        if let text = string(values["path"], "\(field).path") {
            if !text.hasPrefix("/") { problem(values["path"], "\(field).path", "a path starts with '/' (it is relative to the target)") }
            if text.unicodeScalars.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                problem(values["path"], "\(field).path", "a path has no spaces or line breaks (write %20)")
            }
            path = template(text, values["path"], "\(field).path") ?? path
        } else if values["path"] == nil {
            problem(node, field, "a step needs a 'path'")
        }
        var headers = defaultHeaders
        for (name, value) in self.headers(values["headers"], "\(field).headers") {
            headers.removeAll { $0.name.lowercased() == name.lowercased() }
            headers.append((name, value))
        }
        var body: Step.BodyTemplate?
        if let node = values["body"] {
            if case .scalar = node, let text = node.string {
                body = template(text, node, "\(field).body").map(Step.BodyTemplate.text)
            } else if let json = jsonValue(node, "\(field).body") {
                do { body = .json(try JSONTemplate(json)) } catch { problem(node, "\(field).body", error.reason) }
                if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
                    headers.append(("Content-Type", Template.constant("application/json")))
                }
            }
        }
        var tags: [String] = []
        if let node = values["tags"] {
            for (i, item) in (sequence(node, "\(field).tags") ?? []).enumerated() {
                if let tag = string(item, "\(field).tags[\(i)]") { tags.append(tag) }
            }
        }
        let captures = self.captures(values["capture"], "\(field).capture")
        let checks = self.checks(values["check"], "\(field).check")
        let think = values["think"].flatMap { duration($0, "\(field).think") } ?? 0
        let timeout = values["timeout"].flatMap { duration($0, "\(field).timeout") }
        if let timeout, timeout <= 0 { problem(values["timeout"], "\(field).timeout", "must be longer than 0") }
        let rawPath = values["path"]?.string ?? ""
        let name = values["name"]?.string ?? "\(method) \(rawPath.split(separator: "?").first.map(String.init) ?? rawPath)"
        return (Step(name: name, method: method, path: path, headers: headers, body: body, tags: tags, captures: captures,
                     checks: checks, think: think, timeout: timeout), problems.count == before)
    }

    mutating func captures(_ node: Node?, _ field: String) -> [Capture] {
        var captures: [Capture] = []
        for (variable, value) in mapping(node, field) ?? [] {
            let here = "\(field).\(variable)"
            guard Template.isVariableName(variable) else {
                problem(value, here, "'\(variable)' is not a variable name (letters, digits, _)")
                continue
            }
            if case .scalar = value, let path = value.string {
                if let expression = pathExpression(path, value, here) { captures.append(Capture(variable: variable, source: .json(expression))) }
                continue
            }
            guard let entries = mapping(value, here, allowed: ["json", "header", "status"]), entries.count == 1, let (kind, source) = entries.first else {
                problem(value, here, "a capture is a JSON path, {json: PATH}, {header: NAME} or {status: true}")
                continue
            }
            switch kind {
            case "json": if let path = string(source, here + ".json"), let expression = pathExpression(path, source, here) { captures.append(Capture(variable: variable, source: .json(expression))) }
            case "header": if let name = string(source, here + ".header") { captures.append(Capture(variable: variable, source: .header(name))) }
            default: captures.append(Capture(variable: variable, source: .status))
            }
        }
        return captures
    }

    mutating func checks(_ node: Node?, _ field: String) -> [Check] {
        var checks: [Check] = []
        for (kind, value) in mapping(node, field, allowed: ["status", "json", "headers", "latency"]) ?? [] {
            let here = "\(field).\(kind)"
            switch kind {
            case "status":
                let items: [Node]
                if case .sequence = value { items = sequence(value, here) ?? [] } else { items = [value] }
                let codes = items.compactMap { integer($0, here, in: 100...599) }
                guard codes.count == items.count, !codes.isEmpty else { continue }
                checks.append(Check(kind: .status(codes), description: "status is " + codes.map(String.init).joined(separator: " or ")))
            case "latency":
                if let limit = duration(value, here) {
                    checks.append(Check(kind: .latency(limit), description: "latency ≤ \(DurationText.describe(limit))"))
                }
            case "json":
                for (path, expected) in mapping(value, here) ?? [] {
                    guard let expression = pathExpression(path, value, "\(here).\(path)"),
                          let (expectation, text) = self.expectation(expected, "\(here).\(path)") else { continue }
                    checks.append(Check(kind: .json(expression, expectation), description: "\(path) \(text)"))
                }
            default:
                for (name, expected) in mapping(value, here) ?? [] {
                    guard let (expectation, text) = self.expectation(expected, "\(here).\(name)") else { continue }
                    checks.append(Check(kind: .header(name, expectation), description: "header \(name) \(text)"))
                }
            }
        }
        return checks
    }

    /// `VALUE` (equals), `{equals: V}`, `{matches: REGEX}`, `{exists: BOOL}`, `{below: N}` or `{above: N}`.
    mutating func expectation(_ node: Node, _ field: String) -> (Check.Expectation, String)? {
        if case .mapping = node, let entries = mapping(node, field, allowed: ["equals", "matches", "exists", "below", "above"]) {
            guard entries.count == 1, let (kind, value) = entries.first else {
                problem(node, field, "write one of equals, matches, exists, below, above")
                return nil
            }
            switch kind {
            case "below", "above":
                guard let json = jsonValue(value, "\(field).\(kind)") else { return nil }
                do {
                    let template = try JSONTemplate(json)
                    return (kind == "below" ? .below(template) : .above(template), "is \(kind) \(JSONWriter.compact(json))")
                } catch {
                    problem(value, "\(field).\(kind)", error.reason)
                    return nil
                }
            case "matches":
                guard let pattern = string(value, field + ".matches") else { return nil }
                guard pattern.count <= 1000, let regex = try? NSRegularExpression(pattern: pattern) else {
                    problem(value, field + ".matches", "not a regular expression (at most 1000 characters)")
                    return nil
                }
                return (.matches(regex), "matches /\(pattern)/")
            case "exists":
                guard let wanted = bool(value, field + ".exists") else { return nil }
                return (.exists(wanted), wanted ? "exists" : "is absent")
            default:
                return equals(value, field + ".equals")
            }
        }
        return equals(node, field)
    }

    private mutating func equals(_ node: Node, _ field: String) -> (Check.Expectation, String)? {
        guard let json = jsonValue(node, field) else { return nil }
        do { return (.equals(try JSONTemplate(json)), "equals \(JSONWriter.compact(json))") } catch {
            problem(node, field, error.reason)
            return nil
        }
    }

    mutating func pathExpression(_ text: String, _ node: Node, _ field: String) -> PathExpression? {
        guard text.hasPrefix("$") else {
            problem(node, field, "a JSON path starts with '$' ($.items[0].id)")
            return nil
        }
        do { return try PathExpression(text) } catch {
            problem(node, field, "not a JSON path: \(error)")
            return nil
        }
    }

    mutating func template(_ text: String, _ node: Node?, _ field: String) -> Template? {
        do { return try Template(text) } catch {
            problem(node, field, error.reason)
            return nil
        }
    }

    /// A scalar's text, whatever its YAML type (numbers and booleans as written).
    mutating func scalarText(_ node: Node, _ field: String) -> String? {
        guard case .scalar(let scalar) = node else {
            problem(node, field, "expected a single value")
            return nil
        }
        return scalar.string
    }

    /// A YAML node as JSON: mappings, lists, and scalars typed as YAML reads them; a problem
    /// (an alias, a key that is not a string, the value budget spent) is reported once.
    package mutating func jsonValue(_ node: Node, _ field: String) -> JSONValue? {
        do {
            return try YAMLValues.value(node, at: field, style: Self.fieldPaths, budget: &valueBudget,
                                        exhausted: "more than 200,000 values in bodies and checks (YAML aliases expanding?)")
        } catch {
            // Once the budget is spent every later value fails too: the first says why.
            if valueBudget >= -1 { problems.append(FileProblem(file: file, line: error.mark?.line, field: error.path, message: error.reason)) }
            return nil
        }
    }

    /// `a.b[0]`, as problems in profiles and flows name their fields.
    static let fieldPaths = YAMLValues.PathStyle(key: { "\($0).\($1)" }, index: { "\($0)[\($1)]" })
}

extension Template {
    static let empty = Template(parts: [])
    static func constant(_ text: String) -> Template { Template(parts: text.isEmpty ? [] : [.text(text)]) }
}
